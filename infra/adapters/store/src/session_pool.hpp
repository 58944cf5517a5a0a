#pragma once
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include <Poco/Data/Session.h>

#include "postgres_statements.hpp"
#include "statement_cache.hpp"

namespace choreo::store::detail {

// One database connection and what is kept with it.
struct Connection {
  std::unique_ptr<Poco::Data::Session> session;
  // SQLite only. Declared after `session` so it is destroyed first: its statements must be
  // finalized before the connection closes.
  std::unique_ptr<StatementCache> statements;
  // PostgreSQL only; goes with the connection, whose server-side statements it names.
  std::unique_ptr<PgStatementCache> pg_statements;
};

// A bounded set of database connections, each used by one transaction at a time.
// Not Poco::Data::SessionPool: SQLite needs per-connection PRAGMAs right after opening,
// which that pool offers no hook for, and a connection found broken must be dropped
// rather than handed to the next transaction.
class SessionPool {
 public:
  using Factory = std::function<Connection()>;

  SessionPool(Factory factory, std::size_t max_size, std::chrono::milliseconds acquire_timeout);
  SessionPool(const SessionPool&) = delete;
  SessionPool& operator=(const SessionPool&) = delete;

  // A checked-out session, returned to the pool on destruction unless discarded.
  class Lease {
   public:
    Lease(SessionPool& pool, Connection connection) : pool_(&pool), connection_(std::move(connection)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();

    Poco::Data::Session& Session() { return *connection_.session; }
    StatementCache* Statements() { return connection_.statements.get(); }
    PgStatementCache* PgStatements() { return connection_.pg_statements.get(); }
    // Closes the connection instead of reusing it (it failed in a way that may have
    // left it broken or mid-transaction).
    void Discard();
    bool Discarded() const { return connection_.session == nullptr; }

   private:
    SessionPool* pool_;
    Connection connection_;
  };

  // Reuses an idle session, opens a new one below the limit, or waits for one to come
  // back. Throws TransientStoreError after acquire_timeout, StoreError if opening fails.
  Lease Acquire();

 private:
  void Return(Connection connection);
  void Forget();

  Factory factory_;
  std::size_t max_size_;
  std::chrono::milliseconds acquire_timeout_;
  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<Connection> idle_;
  std::size_t open_ = 0;  // idle plus leased, plus those being opened
};

}  // namespace choreo::store::detail
