#pragma once
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include <Poco/Data/Session.h>

namespace choreo::store::detail {

// A bounded set of database connections, each used by one transaction at a time.
// Not Poco::Data::SessionPool: SQLite needs per-connection PRAGMAs right after opening,
// which that pool offers no hook for, and a connection found broken must be dropped
// rather than handed to the next transaction.
class SessionPool {
 public:
  using Factory = std::function<std::unique_ptr<Poco::Data::Session>()>;

  SessionPool(Factory factory, std::size_t max_size, std::chrono::milliseconds acquire_timeout);
  SessionPool(const SessionPool&) = delete;
  SessionPool& operator=(const SessionPool&) = delete;

  // A checked-out session, returned to the pool on destruction unless discarded.
  class Lease {
   public:
    Lease(SessionPool& pool, std::unique_ptr<Poco::Data::Session> session)
        : pool_(&pool), session_(std::move(session)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();

    Poco::Data::Session& Session() { return *session_; }
    // Closes the connection instead of reusing it (it failed in a way that may have
    // left it broken or mid-transaction).
    void Discard();

   private:
    SessionPool* pool_;
    std::unique_ptr<Poco::Data::Session> session_;
  };

  // Reuses an idle session, opens a new one below the limit, or waits for one to come
  // back. Throws TransientStoreError after acquire_timeout, StoreError if opening fails.
  Lease Acquire();

 private:
  void Return(std::unique_ptr<Poco::Data::Session> session);
  void Forget();

  Factory factory_;
  std::size_t max_size_;
  std::chrono::milliseconds acquire_timeout_;
  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<Poco::Data::Session>> idle_;
  std::size_t open_ = 0;  // idle plus leased, plus those being opened
};

}  // namespace choreo::store::detail
