#pragma once
// Prepared PostgreSQL statements kept per connection (see Tx::Run). Poco::Data prepares,
// describes, executes and deallocates every statement: four round trips to a server that
// spent almost all of that time idle, waiting for the client. Here each SQL text is
// prepared once per connection and then costs one PQexecPrepared round trip per call.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <Poco/Data/AbstractExtraction.h>
#include <Poco/SharedPtr.h>
#include <libpq-fe.h>

#include "choreo/store/detail/postgres_fast_path.hpp"

namespace Poco::Data::PostgreSQL {
class SessionHandle;
}

namespace choreo::store::detail {

class PgRowExtractor;

class PgStatementCache {
 public:
  // `handle`: the Poco session's connection, which Poco's BEGIN/COMMIT also use. Read on
  // every call, so a connection Poco replaced is noticed and the cache starts over.
  explicit PgStatementCache(Poco::Data::PostgreSQL::SessionHandle& handle);
  ~PgStatementCache();
  PgStatementCache(const PgStatementCache&) = delete;
  PgStatementCache& operator=(const PgStatementCache&) = delete;

  // See RunCachedPostgres.
  std::optional<std::size_t> Run(std::string_view sql, const PgParams& params,
                                 std::span<Poco::Data::AbstractExtraction* const> extractions);

  // Queues `sql` to run before the next statement, pipelined with it (see Tx::Defer).
  // Prepares it now if this connection has not yet.
  void Defer(std::string_view sql, const PgParams& params);
  // Runs the queued statements now, in one round trip. Throws the first one's failure.
  void Flush();
  // Forgets the queued statements (the transaction ends without them).
  void DiscardDeferred() { deferred_.clear(); deferred_bytes_ = 0; }

  // Statements prepared on this connection so far (for tests: reuse means no new ones).
  std::uint64_t Prepared() const { return prepared_; }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };
  // Bounds the server-side statements of code that builds SQL text per call.
  static constexpr std::size_t kMaxStatements = 256;

  struct Statement {
    std::string name;  // server-side
    int parameters = 0;
  };
  // A queued statement with copies of its parameters (NULL: nullopt).
  struct Deferred {
    std::string sql;
    std::string name;
    std::vector<std::optional<std::string>> values;
  };
  // Past these the queue is flushed before more is added: bounds what the client holds,
  // and what it sends before it reads (libpq's blocking mode could otherwise deadlock
  // with a server blocked writing results nobody reads yet).
  static constexpr std::size_t kMaxDeferred = 256;
  static constexpr std::size_t kMaxDeferredBytes = 1 << 20;

  // `sql`'s prepared statement, preparing it first if needed.
  const Statement& Find(PGconn* conn, std::string_view sql);
  void Forget(std::string_view sql);
  // Throws `result`'s error for `sql`, first forgetting `sql` if the server says its
  // prepared statement is stale.
  [[noreturn]] void ThrowFailed(PGconn* conn, const PGresult* result, std::string_view sql);
  // The session's connection; throws if it is down, or was replaced under queued statements.
  PGconn* Connection(std::string_view sql);
  // Sends the queued statements and then `sql` (if not empty) in one pipeline and reads
  // every result; returns `sql`'s. Throws the first failure among them.
  PGresult* RunPipeline(PGconn* conn, std::string_view sql, const Statement* statement,
                        const std::vector<const char*>* values);

  Poco::Data::PostgreSQL::SessionHandle& handle_;
  PGconn* conn_ = nullptr;  // the connection the statements below were prepared on
  std::unordered_map<std::string, Statement, Hash, std::equal_to<>> statements_;  // by SQL text
  std::deque<std::string> order_;  // SQL texts in the order prepared, oldest evicted first
  std::uint64_t prepared_ = 0;
  std::vector<Deferred> deferred_;
  std::size_t deferred_bytes_ = 0;
  Poco::SharedPtr<PgRowExtractor> extractor_;
};

}  // namespace choreo::store::detail
