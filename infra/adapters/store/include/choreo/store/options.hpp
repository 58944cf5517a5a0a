#pragma once
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace choreo::store {

enum class Dialect { kSqlite, kPostgres };

// Store URLs:
//   sqlite:PATH            file PATH, relative to the working directory or absolute
//   sqlite://PATH          the same ("sqlite:///var/lib/x.db" is the absolute /var/lib/x.db)
//   sqlite::memory:        a private in-memory database (the pool is limited to 1 session,
//                          since every SQLite connection would get its own empty database)
//   postgresql://[user[:password]@][host][:port][/dbname][?key=value&...]
//   postgres://...         the same
// Query parameters of PostgreSQL URLs are passed to libpq as connection keywords, e.g.
// `?sslmode=disable&options=-csearch_path%3Dmy_schema`. Percent-escapes are decoded.
struct StoreUrl {
  store::Dialect dialect = Dialect::kSqlite;
  std::string sqlite_path;  // kSqlite: file path or ":memory:"
  // kPostgres: libpq "key=value key=value" string. Poco 1.11 splits it on spaces and
  // cannot pass URIs through, hence the conversion; values must not contain whitespace.
  std::string postgres_conninfo;
};

// Throws std::invalid_argument (naming the URL without its password) for unknown
// schemes and malformed URLs.
StoreUrl ParseStoreUrl(std::string_view url);

struct StoreOptions {
  std::string url = "sqlite:choreo.db";
  // Upper bound of open database connections; one transaction holds one connection.
  std::size_t pool_size = 4;
  // SQLite: how long a writer waits for the write lock before SQLITE_BUSY.
  std::chrono::milliseconds busy_timeout{5000};
  // How long InTransaction waits for a free connection when all are in use.
  std::chrono::milliseconds acquire_timeout{10000};
  // PostgreSQL connection establishment (libpq connect_timeout, whole seconds).
  std::chrono::seconds connect_timeout{10};
  // InTransaction runs the callable again this many times after a TransientStoreError.
  // Off by default: a retried callable must have no effects outside the transaction.
  int transient_retries = 0;
  // Pause before the first retry; doubles on each further retry (with jitter, max 1 s).
  std::chrono::milliseconds retry_backoff{20};
  // PostgreSQL: the server ends a transaction left idle this long, and with it its row
  // and advisory locks (idle_in_transaction_session_timeout, set on every connection).
  // A replica frozen mid-transaction (stopped, paused, cut off behind a connection that
  // stays up) would otherwise hold them, and stall every replica that needs them, until
  // its connection dies. Longer than anything a transaction waits for: the relay holds
  // one open while it waits for confirms (RelayOptions::confirm_timeout, 30 s).
  // 0: the server's setting.
  std::chrono::milliseconds idle_transaction_timeout{60000};

  // Throws std::invalid_argument naming the offending field.
  void Validate() const;
};

}  // namespace choreo::store
