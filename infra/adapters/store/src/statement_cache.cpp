#include "statement_cache.hpp"

#include <cctype>
#include <string>

#include <sqlite3.h>

#include "choreo/store/tx.hpp"
#include "errors_internal.hpp"

namespace choreo::store::detail {

StatementCache::~StatementCache() { Clear(); }

void StatementCache::Clear() {
  for (auto& [sql, statement] : statements_) sqlite3_finalize(statement);
  statements_.clear();
}

sqlite3_stmt* StatementCache::Find(std::string_view sql, int parameters) {
  auto found = statements_.find(sql);
  if (found == statements_.end()) {
    if (statements_.size() >= kMaxStatements) Clear();
    sqlite3_stmt* statement = nullptr;
    const char* tail = nullptr;
    // PERSISTENT: the statement lives as long as the connection, so SQLite allocates it
    // from the heap rather than its lookaside buffers meant for short-lived ones.
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &statement,
                           &tail) != SQLITE_OK) {
      sqlite3_finalize(statement);
      return nullptr;  // not remembered: Poco prepares it again and throws the error
    }
    bool single = true;
    for (const char* end = sql.data() + sql.size(); tail != nullptr && tail < end; ++tail) {
      if (!std::isspace(static_cast<unsigned char>(*tail)) && *tail != ';') single = false;
    }
    if (statement == nullptr || !single || sqlite3_column_count(statement) > 0) {
      sqlite3_finalize(statement);
      statement = nullptr;
    }
    found = statements_.emplace(std::string(sql), statement).first;
  }
  sqlite3_stmt* statement = found->second;
  if (statement == nullptr || sqlite3_bind_parameter_count(statement) != parameters) return nullptr;
  return statement;
}

namespace {
[[noreturn]] void ThrowBindError(sqlite3_stmt* statement, int rc) {
  sqlite3* db = sqlite3_db_handle(statement);
  const std::string message = sqlite3_errmsg(db);
  sqlite3_clear_bindings(statement);
  ThrowSqliteError(rc, message, sqlite3_sql(statement));
}
}  // namespace

sqlite3_stmt* FindCachedStatement(StatementCache& cache, std::string_view sql, int parameters) {
  return cache.Find(sql, parameters);
}

// SQLITE_STATIC: the values outlive the statement's use of them (Tx::Run binds, steps and
// resets before it returns) and StepCachedStatement clears the bindings afterwards.
void BindNull(sqlite3_stmt* statement, int index) {
  if (const int rc = sqlite3_bind_null(statement, index); rc != SQLITE_OK) ThrowBindError(statement, rc);
}

void BindInt64(sqlite3_stmt* statement, int index, std::int64_t value) {
  if (const int rc = sqlite3_bind_int64(statement, index, value); rc != SQLITE_OK) ThrowBindError(statement, rc);
}

void BindDouble(sqlite3_stmt* statement, int index, double value) {
  if (const int rc = sqlite3_bind_double(statement, index, value); rc != SQLITE_OK) ThrowBindError(statement, rc);
}

void BindText(sqlite3_stmt* statement, int index, std::string_view value) {
  const int rc = sqlite3_bind_text64(statement, index, value.data(), value.size(), SQLITE_STATIC, SQLITE_UTF8);
  if (rc != SQLITE_OK) ThrowBindError(statement, rc);
}

std::size_t StepCachedStatement(sqlite3_stmt* statement, std::string_view sql) {
  sqlite3* db = sqlite3_db_handle(statement);
  const int rc = sqlite3_step(statement);
  if (rc != SQLITE_DONE) {
    // Read before the reset, which would report the error again but may reword it.
    const int code = sqlite3_extended_errcode(db);
    const std::string message = sqlite3_errmsg(db);
    sqlite3_reset(statement);
    sqlite3_clear_bindings(statement);
    ThrowSqliteError(code != SQLITE_OK ? code : rc, message, sql);
  }
  // Counted as Poco counts it, so results do not depend on which path ran the statement.
  const std::size_t changed = sqlite3_stmt_readonly(statement) ? 0 : static_cast<std::size_t>(sqlite3_changes64(db));
  sqlite3_reset(statement);
  sqlite3_clear_bindings(statement);
  return changed;
}

}  // namespace choreo::store::detail
