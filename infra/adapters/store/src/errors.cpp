#include <array>
#include <string>

#include <Poco/Data/DataException.h>
#include <Poco/Data/PostgreSQL/PostgreSQLException.h>
#include <Poco/Data/SQLite/SQLiteException.h>
#include <Poco/Exception.h>
#include <sqlite3.h>

#include "choreo/store/errors.hpp"
#include "errors_internal.hpp"

namespace choreo::store {
namespace {

// Keeps error messages readable: statements are often multi-line literals.
std::string Describe(std::string_view context, std::string_view message) {
  constexpr std::size_t kMaxContext = 160;
  std::string out;
  bool space = false;
  for (char c : context) {
    if (c == '\n' || c == '\t' || c == '\r' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
    if (out.size() >= kMaxContext) {
      out += "...";
      break;
    }
  }
  if (!out.empty()) out += ": ";
  out += message;
  return out;
}

// Poco's PostgreSQL connector reports the SQLSTATE only inside its message
// ("... State: 40001 Detail: ..."), and not at all for BEGIN/COMMIT failures or lost
// connections, so the server's message texts are checked as well.
bool LooksTransient(std::string_view text) {
  static constexpr std::string_view kStateTag = "State: ";
  if (auto at = text.find(kStateTag); at != std::string_view::npos) {
    if (IsTransientSqlState(text.substr(at + kStateTag.size(), 5))) return true;
  }
  static constexpr std::array<std::string_view, 10> kTransientTexts = {
      "database is locked",           "database table is locked",
      "could not serialize access",   "deadlock detected",
      "server closed the connection", "no connection to the server",
      "terminating connection",       "could not connect to server",
      "connection to server",         "Connection refused"};
  for (std::string_view pattern : kTransientTexts) {
    if (text.find(pattern) != std::string_view::npos) return true;
  }
  return false;
}

// Connection failures that no retry will fix.
bool LooksPermanent(std::string_view text) {
  static constexpr std::array<std::string_view, 4> kPermanentTexts = {
      "authentication failed", "does not exist", "pg_hba.conf", "permission denied"};
  for (std::string_view pattern : kPermanentTexts) {
    if (text.find(pattern) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace

bool IsTransientSqlState(std::string_view sqlstate) {
  return sqlstate == "40001"                 // serialization_failure
         || sqlstate == "40P01"              // deadlock_detected
         || sqlstate.starts_with("08")       // connection_exception
         || sqlstate == "53300"              // too_many_connections
         || sqlstate == "55P03"              // lock_not_available
         || sqlstate == "25P03"              // idle_in_transaction_session_timeout
         || sqlstate == "57P01"              // admin_shutdown
         || sqlstate == "57P02"              // crash_shutdown
         || sqlstate == "57P03";             // cannot_connect_now
}

namespace detail {

void ThrowStoreError(const Poco::Exception& error, std::string_view context) {
  const std::string text = error.displayText();
  const bool transient =
      !LooksPermanent(text) && (dynamic_cast<const Poco::Data::SQLite::DBLockedException*>(&error) != nullptr ||
      dynamic_cast<const Poco::Data::SQLite::TableLockedException*>(&error) != nullptr ||
      dynamic_cast<const Poco::Data::PostgreSQL::ConnectionException*>(&error) != nullptr ||
      dynamic_cast<const Poco::Data::ConnectionFailedException*>(&error) != nullptr ||
      dynamic_cast<const Poco::Data::NotConnectedException*>(&error) != nullptr ||
      dynamic_cast<const Poco::Data::SessionUnavailableException*>(&error) != nullptr ||
      LooksTransient(text));
  if (transient) throw TransientStoreError(Describe(context, text));
  throw StoreError(Describe(context, text));
}

void ThrowSqliteError(int rc, std::string_view message, std::string_view context) {
  const int primary = rc & 0xff;
  std::string text = std::string(message) + " (sqlite " + std::to_string(rc) + ")";
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    throw TransientStoreError(Describe(context, text));
  }
  throw StoreError(Describe(context, text));
}

void ThrowPostgresError(std::string_view sqlstate, std::string_view message,
                        std::string_view context) {
  std::string text(message);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (!sqlstate.empty()) text += " (SQLSTATE " + std::string(sqlstate) + ")";
  // No SQLSTATE means libpq got no answer from the server: the connection is gone.
  // A prepared statement of the connection's cache (src/postgres_statements.cpp) whose
  // result type a schema change altered, or that was deallocated behind its back, works
  // again once prepared afresh, which the cache does on the next try.
  const bool stale_statement =
      (sqlstate == "0A000" && message.find("cached plan must not change result type") != std::string_view::npos) ||
      sqlstate == "26000";
  if (sqlstate.empty() || stale_statement || IsTransientSqlState(sqlstate) || LooksTransient(message)) {
    throw TransientStoreError(Describe(context, text));
  }
  throw StoreError(Describe(context, text));
}

void ThrowTransient(std::string_view message, std::string_view context) {
  throw TransientStoreError(Describe(context, message));
}

}  // namespace detail
}  // namespace choreo::store
