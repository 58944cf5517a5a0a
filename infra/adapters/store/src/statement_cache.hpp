#pragma once
// Prepared SQLite statements kept per connection (see Tx::Run): Poco::Data compiles a
// statement on every execution, and sqlite3_prepare_v2 was a third of the gateway's
// committer thread under load.
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace choreo::store::detail {

class StatementCache {
 public:
  explicit StatementCache(sqlite3* db) : db_(db) {}
  ~StatementCache();  // finalizes every statement: SQLite refuses to close a connection with live ones
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;

  // The prepared statement for `sql`, reset and ready to bind, or nullptr when `sql`
  // must go through Poco instead: it returns rows (Poco extracts and counts them), holds
  // several statements, does not take `parameters` parameters, or does not compile (Poco
  // then reports the error as it always did).
  sqlite3_stmt* Find(std::string_view sql, int parameters);

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };
  // Bounds the cache for code that builds SQL text per call (IN lists of varying length).
  static constexpr std::size_t kMaxStatements = 256;

  void Clear();

  sqlite3* db_;
  // nullptr: known not to be cacheable (see Find), so it is not prepared twice per call.
  std::unordered_map<std::string, sqlite3_stmt*, Hash, std::equal_to<>> statements_;
};

}  // namespace choreo::store::detail
