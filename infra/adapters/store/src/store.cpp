#include "choreo/store/store.hpp"

#include <algorithm>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include <Poco/Any.h>
#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/PostgreSQL/SessionHandle.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SQLite/Utility.h>
#include <Poco/Exception.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "choreo/secrets/redact.hpp"
#include "errors_internal.hpp"
#include "session_pool.hpp"

namespace choreo::store {
namespace {

void RegisterConnectors() {
  static std::once_flag once;
  std::call_once(once, [] {
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::PostgreSQL::Connector::registerConnector();
  });
}

sqlite3* SqliteHandle(Poco::Data::Session& session) {
  return Poco::Data::SQLite::Utility::dbHandle(session);
}

Poco::Data::PostgreSQL::SessionHandle& PostgresSessionHandle(Poco::Data::Session& session) {
  return *Poco::AnyCast<Poco::Data::PostgreSQL::SessionHandle*>(session.getProperty("handle"));
}

PGconn* PostgresHandle(Poco::Data::Session& session) { return PostgresSessionHandle(session); }

// Runs SQL text on the raw SQLite handle; returns the first column of the first row.
std::string SqliteExec(sqlite3* db, const std::string& sql) {
  std::string first;
  char* error = nullptr;
  const int rc = sqlite3_exec(
      db, sql.c_str(),
      [](void* out, int columns, char** values, char**) {
        auto* text = static_cast<std::string*>(out);
        if (text->empty() && columns > 0 && values[0] != nullptr) *text = values[0];
        return 0;
      },
      &first, &error);
  if (rc != SQLITE_OK) {
    std::string message = error != nullptr ? error : sqlite3_errstr(rc);
    sqlite3_free(error);
    detail::ThrowSqliteError(sqlite3_extended_errcode(db) != 0 ? sqlite3_extended_errcode(db) : rc,
                             message, sql);
  }
  return first;
}

void PostgresExec(PGconn* conn, const std::string& sql) {
  PGresult* result = PQexec(conn, sql.c_str());
  const ExecStatusType status = result != nullptr ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) {
    PQclear(result);
    return;
  }
  const char* sqlstate = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string state = sqlstate != nullptr ? sqlstate : "";
  std::string message = result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(conn);
  PQclear(result);
  detail::ThrowPostgresError(state, message, sql);
}

std::unique_ptr<Poco::Data::Session> OpenSqlite(const std::string& path,
                                                const StoreOptions& options) {
  std::unique_ptr<Poco::Data::Session> session;
  try {
    session = std::make_unique<Poco::Data::Session>(Poco::Data::SQLite::Connector::KEY, path);
  } catch (const Poco::Exception& error) {
    detail::ThrowStoreError(error, "open sqlite:" + path);
  }
  sqlite3* db = SqliteHandle(*session);
  // busy_timeout first, so that switching to WAL already waits for other connections.
  SqliteExec(db, "PRAGMA busy_timeout = " + std::to_string(options.busy_timeout.count()));
  if (path != ":memory:") {
    // `main.`: Poco attaches an in-memory helper database to every connection.
    const std::string mode = SqliteExec(db, "PRAGMA main.journal_mode = WAL");
    if (mode != "wal") {
      throw StoreError("choreo::store: sqlite:" + path + " refuses WAL mode (journal_mode=" +
                       mode + ")");
    }
  }
  SqliteExec(db, "PRAGMA main.synchronous = FULL");
  SqliteExec(db, "PRAGMA foreign_keys = ON");
  return session;
}

std::unique_ptr<Poco::Data::Session> OpenPostgres(const std::string& conninfo,
                                                  const StoreOptions& options) {
  std::unique_ptr<Poco::Data::Session> session;
  try {
    session = std::make_unique<Poco::Data::Session>(
        Poco::Data::PostgreSQL::Connector::KEY, conninfo,
        static_cast<std::size_t>(options.connect_timeout.count()));
  } catch (const Poco::Exception& error) {
    detail::ThrowStoreError(error, "connect " + secrets::RedactUrl(options.url));
  }
  // libpq prints server NOTICEs ("relation already exists, skipping", ...) to stderr;
  // they carry nothing a worker could act on.
  PQsetNoticeProcessor(PostgresHandle(*session), [](void*, const char*) {}, nullptr);
  if (options.idle_transaction_timeout.count() > 0) {
    // See StoreOptions::idle_transaction_timeout. SET, not SET LOCAL: for the connection.
    PostgresExec(PostgresHandle(*session), "SET idle_in_transaction_session_timeout = " +
                                               std::to_string(options.idle_transaction_timeout.count()));
  }
  return session;
}

std::chrono::milliseconds Backoff(std::chrono::milliseconds base, int attempt) {
  // Jitter keeps two transactions that just deadlocked from colliding again in lockstep.
  thread_local std::minstd_rand random{std::random_device{}()};
  const auto capped = std::min<std::int64_t>(base.count() << std::min(attempt, 16), 1000);
  std::uniform_int_distribution<std::int64_t> jitter(capped / 2, std::max<std::int64_t>(capped, 1));
  return std::chrono::milliseconds(jitter(random));
}

}  // namespace

struct Store::Impl {
  Impl(StoreOptions opts, StoreUrl parsed)
      : options(std::move(opts)),
        url(std::move(parsed)),
        pool(MakeFactory(), PoolSize(), options.acquire_timeout) {}

  detail::SessionPool::Factory MakeFactory() const {
    if (url.dialect == Dialect::kSqlite) {
      return [this] {
        detail::Connection connection{OpenSqlite(url.sqlite_path, options), nullptr, nullptr};
        connection.statements = std::make_unique<detail::StatementCache>(SqliteHandle(*connection.session));
        return connection;
      };
    }
    return [this] {
      detail::Connection connection{OpenPostgres(url.postgres_conninfo, options), nullptr, nullptr};
      connection.pg_statements =
          std::make_unique<detail::PgStatementCache>(PostgresSessionHandle(*connection.session));
      return connection;
    };
  }

  // Each SQLite connection to ":memory:" is a separate database.
  std::size_t PoolSize() const {
    return url.dialect == Dialect::kSqlite && url.sqlite_path == ":memory:" ? 1
                                                                             : options.pool_size;
  }

  void Begin(detail::SessionPool::Lease& lease, Durability durability) {
    Poco::Data::Session& session = lease.Session();
    if (url.dialect == Dialect::kSqlite) {
      // SQLite refuses to change the safety level inside a transaction, so it is set
      // before BEGIN and put back after the end (RestoreDurability, from RunOnce).
      if (durability == Durability::kLazy) SqliteExec(SqliteHandle(session), "PRAGMA main.synchronous = NORMAL");
      SqliteExec(SqliteHandle(session), "BEGIN IMMEDIATE");
      return;
    }
    try {
      session.begin();
    } catch (const Poco::Exception& error) {
      detail::ThrowStoreError(error, "BEGIN");
    }
    // SET LOCAL (set_config's `true`): ends with the transaction, whatever way it ends.
    // Queued, it rides on the transaction's first statement instead of a round trip.
    if (durability == Durability::kLazy) {
      try {
        lease.PgStatements()->Defer("SELECT set_config('synchronous_commit', 'off', true)", detail::PgParams(0));
      } catch (const Poco::Exception& error) {
        detail::ThrowStoreError(error, "BEGIN");
      }
    }
  }

  // After a lazy SQLite transaction: the connection goes back to the pool durable again.
  // A connection that cannot be switched back is closed rather than reused.
  void RestoreDurability(detail::SessionPool::Lease& lease, Durability durability) noexcept {
    if (durability != Durability::kLazy || url.dialect != Dialect::kSqlite || lease.Discarded()) return;
    try {
      SqliteExec(SqliteHandle(lease.Session()), "PRAGMA main.synchronous = FULL");
    } catch (...) {
      lease.Discard();
    }
  }

  void Commit(Poco::Data::Session& session) {
    if (url.dialect == Dialect::kSqlite) {
      SqliteExec(SqliteHandle(session), "COMMIT");
    } else {
      session.commit();  // Poco exceptions are translated by the caller
    }
  }

  // Never throws: a connection that cannot roll back is closed, which rolls back too.
  void RollbackQuietly(detail::SessionPool::Lease& lease) {
    // Statements Tx::Defer queued die with their transaction.
    if (detail::PgStatementCache* statements = lease.PgStatements()) statements->DiscardDeferred();
    try {
      Poco::Data::Session& session = lease.Session();
      if (url.dialect == Dialect::kSqlite) {
        sqlite3* db = SqliteHandle(session);
        // A failed COMMIT may already have ended the transaction.
        if (sqlite3_get_autocommit(db) == 0) SqliteExec(db, "ROLLBACK");
      } else {
        session.rollback();
        if (!session.isConnected()) lease.Discard();
      }
    } catch (...) {
      lease.Discard();
    }
  }

  void RunOnce(const std::function<void(Tx&)>& body, Durability durability) {
    std::unique_lock<std::timed_mutex> writing(sqlite_writer, std::defer_lock);
    if (url.dialect == Dialect::kSqlite && !writing.try_lock_for(options.busy_timeout)) {
      detail::ThrowSqliteError(SQLITE_BUSY, "database is locked by another transaction of this process",
                               "BEGIN IMMEDIATE");
    }
    detail::SessionPool::Lease lease = pool.Acquire();
    Poco::Data::Session& session = lease.Session();
    // Runs last, after any rollback, whichever way this transaction ends.
    struct Restore {
      Impl& impl;
      detail::SessionPool::Lease& lease;
      Durability durability;
      ~Restore() { impl.RestoreDurability(lease, durability); }
    } restore{*this, lease, durability};
    try {
      Begin(lease, durability);
    } catch (...) {
      RollbackQuietly(lease);
      throw;
    }
    Tx tx(session, url.dialect, lease.Statements(), lease.PgStatements());
    try {
      body(tx);
      tx.Flush();
      Commit(session);
    } catch (const Poco::Exception& error) {
      RollbackQuietly(lease);
      detail::ThrowStoreError(error, "transaction");
    } catch (...) {
      RollbackQuietly(lease);
      throw;
    }
  }

  StoreOptions options;
  StoreUrl url;
  detail::SessionPool pool;
  // SQLite admits one writer at a time, and every transaction here is one (BEGIN
  // IMMEDIATE). Threads of this process queue on this mutex rather than in SQLite's busy
  // handler, which sleeps in steps of up to 100 ms: a worker's consumer and its outbox
  // relay taking turns were held to a few commits per second by those sleeps; the mutex
  // hands over at once. Bounded by busy_timeout like SQLite's own wait, so a nested
  // InTransaction still fails (SQLITE_BUSY) instead of hanging. Other processes on the
  // same file still meet in the busy handler.
  std::timed_mutex sqlite_writer;
};

namespace {
StoreOptions Validated(StoreOptions options) {
  options.Validate();
  return options;
}
}  // namespace

Store::Store(StoreOptions options) {
  RegisterConnectors();
  options = Validated(std::move(options));
  StoreUrl url = ParseStoreUrl(options.url);
  impl_ = std::make_unique<Impl>(std::move(options), std::move(url));
  // Open (and for SQLite configure) one connection now: a wrong URL, an unreachable
  // server or a file that refuses WAL fails here rather than in the first transaction.
  auto lease = impl_->pool.Acquire();
}

Store::Store(std::string url) : Store(StoreOptions{.url = std::move(url)}) {}

Store::~Store() = default;
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;

Dialect Store::Dialect() const { return impl_->url.dialect; }

const StoreOptions& Store::Options() const { return impl_->options; }

void Store::RunTransaction(const std::function<void(Tx&)>& body, Durability durability) {
  for (int attempt = 0;; ++attempt) {
    try {
      impl_->RunOnce(body, durability);
      return;
    } catch (const TransientStoreError&) {
      if (attempt >= impl_->options.transient_retries) throw;
    }
    std::this_thread::sleep_for(Backoff(impl_->options.retry_backoff, attempt));
  }
}

void Tx::RunScript(std::string_view script) {
  Flush();
  if (dialect_ == Dialect::kSqlite) {
    SqliteExec(SqliteHandle(session_), std::string(script));
  } else {
    PostgresExec(PostgresHandle(session_), std::string(script));
  }
}

}  // namespace choreo::store
