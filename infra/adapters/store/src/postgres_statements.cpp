#include "postgres_statements.hpp"

#include <algorithm>
#include <charconv>
#include <memory>
#include <string>

#include <Poco/Data/Limit.h>
#include <Poco/Data/PostgreSQL/PostgreSQLException.h>
#include <Poco/Data/PostgreSQL/SessionHandle.h>
#include <Poco/NumberParser.h>

#include "choreo/store/sql.hpp"
#include "errors_internal.hpp"
#include "postgres_extractor.hpp"

namespace choreo::store::detail {
namespace {

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

[[noreturn]] void ThrowResultError(PGconn* conn, const PGresult* result, std::string_view context) {
  const char* sqlstate = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const char* message = result != nullptr ? PQresultErrorMessage(result) : "";
  // No result or an empty message: libpq had no answer from the server.
  const std::string text = message != nullptr && *message != '\0' ? message : PQerrorMessage(conn);
  ThrowPostgresError(sqlstate != nullptr ? sqlstate : "", text, context);
}

// Poco's reading of PQcmdTuples: rows changed by INSERT/UPDATE/DELETE, else 0.
std::size_t ChangedRows(PGresult* result) {
  int rows = 0;
  const char* text = PQcmdTuples(result);
  if (text == nullptr || !Poco::NumberParser::tryParse(text, rows) || rows < 0) return 0;
  return static_cast<std::size_t>(rows);
}

}  // namespace

void PgParams::AddInt64(std::int64_t value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof(digits), value).ptr;
  AddCopy(std::string_view(digits, static_cast<std::size_t>(end - digits)));
}

void PgParams::AddDouble(double value) {
  // Shortest text that reads back as the same double, as Poco's NumberFormatter writes it.
  char digits[32];
  const auto end = std::to_chars(digits, digits + sizeof(digits), value).ptr;
  AddCopy(std::string_view(digits, static_cast<std::size_t>(end - digits)));
}

PgStatementCache::PgStatementCache(Poco::Data::PostgreSQL::SessionHandle& handle)
    : handle_(handle), extractor_(new PgRowExtractor) {}

// The server drops a connection's prepared statements with the connection; while it is
// open they stay for the next transaction.
PgStatementCache::~PgStatementCache() = default;

const PgStatementCache::Statement& PgStatementCache::Find(PGconn* conn, std::string_view sql) {
  if (conn != conn_) {
    // A new connection under the same session knows none of the old statements.
    statements_.clear();
    order_.clear();
    conn_ = conn;
  }
  if (auto found = statements_.find(sql); found != statements_.end()) return found->second;

  // Queued statements name theirs: run them before any of those can be evicted.
  if (statements_.size() >= kMaxStatements && !deferred_.empty()) Flush();
  while (statements_.size() >= kMaxStatements && !order_.empty()) {
    auto oldest = statements_.find(order_.front());
    order_.pop_front();
    if (oldest == statements_.end()) continue;
    // On failure (the transaction is already aborted) the statement stays on the server
    // until the connection closes; the PQprepare below reports the real error.
    Result(PQexec(conn, ("DEALLOCATE " + oldest->second.name).c_str()));
    statements_.erase(oldest);
  }
  // Unique per connection and distinct from Poco's "p<uuid>" names.
  std::string name = "choreo_" + std::to_string(++prepared_);
  const std::string text = RewritePlaceholders(sql, Dialect::kPostgres);
  // No parameter types: the server infers them from the statement, as with Poco.
  Result prepared(PQprepare(conn, name.c_str(), text.c_str(), 0, nullptr));
  if (prepared == nullptr || PQresultStatus(prepared.get()) != PGRES_COMMAND_OK) {
    ThrowResultError(conn, prepared.get(), sql);
  }
  // The parameter count, checked before each execution as Poco checks it: the server
  // would answer a wrong count with a protocol violation (08P01), a "connection" error.
  // One more round trip, once per statement and connection.
  Result described(PQdescribePrepared(conn, name.c_str()));
  if (described == nullptr || PQresultStatus(described.get()) != PGRES_COMMAND_OK) {
    ThrowResultError(conn, described.get(), sql);
  }
  Statement statement{std::move(name), PQnparams(described.get())};
  order_.emplace_back(sql);
  return statements_.emplace(std::string(sql), std::move(statement)).first->second;
}

void PgStatementCache::ThrowFailed(PGconn* conn, const PGresult* result, std::string_view sql) {
  const char* sqlstate = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  // The statement changed under the cache (its result type after ALTER TABLE, or it
  // was deallocated behind our back): prepare it afresh next time.
  if (sqlstate != nullptr && (std::string_view(sqlstate) == "0A000" || std::string_view(sqlstate) == "26000")) {
    Forget(sql);
  }
  ThrowResultError(conn, result, sql);
}

void PgStatementCache::Forget(std::string_view sql) {
  if (auto found = statements_.find(sql); found != statements_.end()) statements_.erase(found);
  order_.erase(std::remove(order_.begin(), order_.end(), sql), order_.end());
}

PGconn* PgStatementCache::Connection(std::string_view sql) {
  PGconn* conn = handle_;
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
    ThrowTransient("no connection to the server", sql);  // as Poco's NotConnectedException
  }
  if (conn != conn_ && !deferred_.empty()) {
    // The queued statements were prepared on a connection that is gone, and their
    // transaction with it.
    DiscardDeferred();
    ThrowTransient("the connection was replaced while statements were queued", sql);
  }
  return conn;
}

namespace {

void CheckParameterCount(std::size_t given, int expected, std::string_view sql) {
  if (static_cast<int>(given) != expected) {
    // Poco's exception for the same mistake; Tx::Run translates it as always.
    throw Poco::Data::PostgreSQL::StatementException("incorrect bind parameters count for SQL Statement: " +
                                                     std::string(sql));
  }
}

}  // namespace

void PgStatementCache::Defer(std::string_view sql, const PgParams& params) {
  PGconn* conn = Connection(sql);
  if (deferred_.size() >= kMaxDeferred || deferred_bytes_ >= kMaxDeferredBytes) Flush();
  const Statement& statement = Find(conn, sql);
  const std::vector<const char*>& values = params.Values();
  CheckParameterCount(values.size(), statement.parameters, sql);
  Deferred deferred{std::string(sql), statement.name, {}};
  deferred.values.reserve(values.size());
  for (const char* value : values) {
    if (value == nullptr) {
      deferred.values.emplace_back();
    } else {
      deferred.values.emplace_back(value);
      deferred_bytes_ += deferred.values.back()->size();
    }
  }
  deferred_bytes_ += deferred.sql.size();
  deferred_.push_back(std::move(deferred));
}

void PgStatementCache::Flush() {
  if (deferred_.empty()) return;
  PGconn* conn = Connection(deferred_.front().sql);
  Result(RunPipeline(conn, {}, nullptr, nullptr));
}

PGresult* PgStatementCache::RunPipeline(PGconn* conn, std::string_view sql, const Statement* statement,
                                        const std::vector<const char*>* values) {
  std::vector<Deferred> batch;
  batch.swap(deferred_);
  deferred_bytes_ = 0;
  // A failure below leaves the connection in pipeline mode: Poco's ROLLBACK then fails
  // too, and the store closes the connection instead of reusing it.
  auto broken = [conn](std::string_view text) { ThrowResultError(conn, nullptr, text); };
  if (PQenterPipelineMode(conn) != 1) broken(batch.front().sql);
  std::vector<std::string_view> texts;
  texts.reserve(batch.size() + 1);
  auto send = [&](const std::string& name, const std::vector<const char*>& parameters, std::string_view text) {
    texts.push_back(text);
    if (PQsendQueryPrepared(conn, name.c_str(), static_cast<int>(parameters.size()),
                            parameters.empty() ? nullptr : parameters.data(), nullptr, nullptr, 0) != 1) {
      broken(text);
    }
  };
  std::vector<const char*> pointers;
  for (const Deferred& deferred : batch) {
    pointers.clear();
    for (const auto& value : deferred.values) pointers.push_back(value ? value->c_str() : nullptr);
    send(deferred.name, pointers, deferred.sql);
  }
  if (statement != nullptr) send(statement->name, *values, sql);
  if (PQpipelineSync(conn) != 1) broken(texts.back());

  // Each statement's results end with a null; after an error the server skips the rest
  // up to the sync (PGRES_PIPELINE_ABORTED), and the sync ends the pipeline.
  Result failure;
  std::string failed_sql;
  Result last;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    Result result(PQgetResult(conn));
    if (result == nullptr) broken(texts[i]);
    if (PQresultStatus(result.get()) == PGRES_FATAL_ERROR && failure == nullptr) {
      failure = std::move(result);
      failed_sql = std::string(texts[i]);
    } else if (statement != nullptr && i + 1 == texts.size()) {
      last = std::move(result);
    }
    while (Result(PQgetResult(conn)) != nullptr) {
    }
  }
  Result sync(PQgetResult(conn));
  if (sync == nullptr || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) broken(texts.back());
  if (PQexitPipelineMode(conn) != 1) broken(texts.back());
  if (failure != nullptr) ThrowFailed(conn, failure.get(), failed_sql);
  return last.release();
}

std::optional<std::size_t> PgStatementCache::Run(std::string_view sql, const PgParams& params,
                                                 std::span<Poco::Data::AbstractExtraction* const> extractions) {
  for (const Poco::Data::AbstractExtraction* extraction : extractions) {
    if (!IsFastExtraction(*extraction)) return std::nullopt;
  }
  PGconn* conn = Connection(sql);
  const Statement& statement = Find(conn, sql);
  const std::vector<const char*>& values = params.Values();
  CheckParameterCount(values.size(), statement.parameters, sql);
  // Statements queued by Tx::Defer go first, in the same round trip.
  Result result(deferred_.empty()
                    ? PQexecPrepared(conn, statement.name.c_str(), static_cast<int>(values.size()),
                                     values.empty() ? nullptr : values.data(), nullptr, nullptr, 0)
                    : RunPipeline(conn, sql, &statement, &values));
  const ExecStatusType status = result != nullptr ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK) return ChangedRows(result.get());
  if (status != PGRES_TUPLES_OK) ThrowFailed(conn, result.get(), sql);

  const int rows = PQntuples(result.get());
  if (extractions.empty()) return static_cast<std::size_t>(rows);  // Poco counts the rows it fetched
  // As Poco's StatementImpl: reset the targets, then fill them row by row, column after
  // column, each target taking as many columns as its type handler says.
  for (Poco::Data::AbstractExtraction* extraction : extractions) {
    extraction->reset();
    extraction->setExtractor(extractor_);
    extraction->setLimit(Poco::Data::Limit::LIMIT_UNLIMITED);
  }
  struct Detach {
    PgRowExtractor& extractor;
    ~Detach() { extractor.SetRow(nullptr, 0); }
  } detach{*extractor_};
  for (int row = 0; row < rows; ++row) {
    extractor_->SetRow(result.get(), row);
    std::size_t position = 0;
    for (Poco::Data::AbstractExtraction* extraction : extractions) {
      extraction->extract(position);
      position += extraction->numOfColumnsHandled();
    }
  }
  return static_cast<std::size_t>(rows);
}

std::optional<std::size_t> RunCachedPostgres(PgStatementCache& cache, std::string_view sql, const PgParams& params,
                                             std::span<Poco::Data::AbstractExtraction* const> extractions) {
  return cache.Run(sql, params, extractions);
}

void DeferCachedPostgres(PgStatementCache& cache, std::string_view sql, const PgParams& params) {
  cache.Defer(sql, params);
}

void FlushDeferredPostgres(PgStatementCache& cache) { cache.Flush(); }

}  // namespace choreo::store::detail
