#include "session_pool.hpp"

#include <string>

#include "errors_internal.hpp"

namespace choreo::store::detail {

SessionPool::SessionPool(Factory factory, std::size_t max_size,
                         std::chrono::milliseconds acquire_timeout)
    : factory_(std::move(factory)), max_size_(max_size), acquire_timeout_(acquire_timeout) {}

SessionPool::Lease::~Lease() {
  if (connection_.session) pool_->Return(std::move(connection_));
}

void SessionPool::Lease::Discard() {
  if (!connection_.session) return;
  try {
    connection_.statements.reset();
    connection_.pg_statements.reset();
    connection_.session.reset();
  } catch (...) {
    // Closing a broken connection may fail; it is gone either way.
  }
  pool_->Forget();
}

SessionPool::Lease SessionPool::Acquire() {
  std::unique_lock lock(mutex_);
  const bool ready = returned_.wait_for(lock, acquire_timeout_,
                                        [this] { return !idle_.empty() || open_ < max_size_; });
  if (!ready) {
    ThrowTransient("no free database connection within " +
                       std::to_string(acquire_timeout_.count()) + " ms (pool_size " +
                       std::to_string(max_size_) + ")",
                   "");
  }
  if (!idle_.empty()) {
    Connection connection = std::move(idle_.back());
    idle_.pop_back();
    return Lease(*this, std::move(connection));
  }
  ++open_;  // reserve the slot, then connect without holding the lock
  lock.unlock();
  try {
    return Lease(*this, factory_());
  } catch (...) {
    Forget();
    throw;
  }
}

void SessionPool::Return(Connection connection) {
  {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(connection));
  }
  returned_.notify_one();
}

void SessionPool::Forget() {
  {
    std::lock_guard lock(mutex_);
    --open_;
  }
  returned_.notify_one();
}

}  // namespace choreo::store::detail
