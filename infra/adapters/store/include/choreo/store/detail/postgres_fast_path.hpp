#pragma once
// The part of Tx::Run's PostgreSQL fast path that templates need (see Tx::Run): values
// collected as libpq text parameters and the call into the connection's statement cache
// (src/postgres_statements.hpp). Not an API of its own.
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <Poco/Data/AbstractExtraction.h>

namespace choreo::store::detail {

// An into(...) target of Tx::Run.
template <class P>
concept ExtractionPart = std::same_as<std::remove_cvref_t<P>, Poco::Data::AbstractExtraction::Ptr>;

// The parameters of one statement as libpq takes them in text format: NUL-terminated
// text, or nullptr for NULL. Values are formatted as Poco's PostgreSQL binder formats
// them, so both paths send the server the same text.
class PgParams {
 public:
  explicit PgParams(std::size_t capacity) {
    values_.reserve(capacity);
    owned_.reserve(capacity);  // never reallocates: values_ points into these strings
  }
  PgParams(const PgParams&) = delete;
  PgParams& operator=(const PgParams&) = delete;

  void AddNull() { values_.push_back(nullptr); }
  // `text` must stay alive and unchanged until the statement has run.
  void AddText(const char* text) { values_.push_back(text); }
  void AddCopy(std::string_view text) {
    owned_.emplace_back(text);
    values_.push_back(owned_.back().c_str());
  }
  void AddInt64(std::int64_t value);
  void AddDouble(double value);
  void AddBool(bool value) { values_.push_back(value ? "TRUE" : "FALSE"); }

  const std::vector<const char*>& Values() const { return values_; }

 private:
  std::vector<const char*> values_;
  std::vector<std::string> owned_;
};

// The per-connection cache of prepared PostgreSQL statements (src/postgres_statements.hpp).
class PgStatementCache;

// Runs `sql` (with `?` placeholders) on the cached prepared statement and fills
// `extractions` as Poco would. Returns the rows affected or fetched, or std::nullopt,
// before anything ran, when an extraction is of a type only Poco extracts. Throws
// StoreError / TransientStoreError, and Poco exceptions from the extractions themselves
// (for example "value already extracted"), which Tx::Run translates as always.
std::optional<std::size_t> RunCachedPostgres(PgStatementCache& cache, std::string_view sql,
                                             const PgParams& params,
                                             std::span<Poco::Data::AbstractExtraction* const> extractions);

// Queues `sql` to run, pipelined, before the cache's next statement (see Tx::Defer).
void DeferCachedPostgres(PgStatementCache& cache, std::string_view sql, const PgParams& params);
// Runs the queued statements now. Throws StoreError / TransientStoreError.
void FlushDeferredPostgres(PgStatementCache& cache);

}  // namespace choreo::store::detail
