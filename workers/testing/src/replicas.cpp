#include "choreo/testing/replicas.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "choreo/testing/testing.hpp"

namespace choreo::testing {

using Poco::Data::Keywords::into;
using namespace std::chrono_literals;

Replicas::Replicas(const TestDatabase& db, std::string name, int count)
    : url_(db.Url()),
      name_(std::move(name)),
      application_(UniqueName("rep")),
      workers_(static_cast<std::size_t>(count)) {
  if (db.Kind() != DbKind::kPostgres) throw std::invalid_argument("Replicas: replicas share a PostgreSQL database");
  // TestDatabase URLs always carry a query (the search_path).
  observer_ = std::make_unique<store::Store>(
      store::StoreOptions{.url = url_ + "&application_name=" + application_ + "-obs", .pool_size = 2});
}

Replicas::~Replicas() {
  // Every replica is told to stop before any is waited for (RunningWorker's destructor),
  // so they wind down together.
  for (auto& w : workers_) {
    if (w.Running()) w->Stop();
  }
}

void Replicas::Start(int i, const std::string& amqp_url, const std::function<void(worker::Worker&)>& configure,
                     worker::WorkerOptions options) {
  const auto at = static_cast<std::size_t>(i);
  options.name = name_;
  options.amqp_url = amqp_url;
  options.store_url = url_ + "&application_name=" + application_ + "-r" + std::to_string(i);
  options.http_port = -1;
  ASSERT_TRUE(workers_.at(at).Start(options, configure)) << name_ << " replica " << i << " did not start";
}

worker::Worker& Replicas::Get(int i) { return *workers_.at(static_cast<std::size_t>(i)); }

store::Store& Replicas::Observer() { return *observer_; }

int Replicas::LockWaiters() {
  return observer_->InTransaction([&](store::Tx& tx) {
    Poco::Int64 n = 0;
    tx.Run("SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND application_name LIKE ?",
           into(n), application_ + "-r%");
    return static_cast<int>(n);
  });
}

namespace {
// Thrown out of the blocker's transaction to roll it back.
struct RollBack {};
}  // namespace

RaceResult Replicas::Race(const std::string& lock_sql, const std::vector<std::function<bool()>>& handlers,
                          std::chrono::milliseconds timeout, Release release) {
  RaceResult result;
  result.returned.resize(handlers.size());
  result.errors.resize(handlers.size());
  std::vector<std::thread> threads;
  auto join = [&] {
    for (auto& t : threads) {
      if (t.joinable()) t.join();
    }
  };
  store::Store blocker(store::StoreOptions{.url = url_ + "&application_name=" + application_ + "-lock", .pool_size = 1});
  try {
    // The handlers block on the lock taken here; committing this transaction lets them go.
    blocker.InTransaction([&](store::Tx& tx) {
      tx.RunScript(lock_sql);
      for (std::size_t i = 0; i < handlers.size(); ++i) {
        threads.emplace_back([&, i] {
          try {
            result.returned[i] = handlers[i]();
          } catch (const std::exception& e) {
            result.errors[i] = e.what();
          }
        });
      }
      result.all_waited =
          WaitFor([&] { return LockWaiters() >= static_cast<int>(handlers.size()); }, timeout, 1ms);
      if (release == Release::kRollback) throw RollBack{};
    });
  } catch (const RollBack&) {
  } catch (...) {
    join();
    throw;
  }
  join();
  return result;
}

std::int64_t Replicas::OutboxRows(std::string_view type, const std::string& order_id) {
  return observer_->InTransaction([&](store::Tx& tx) {
    Poco::Int64 n = 0;
    tx.Run("SELECT COUNT(*) FROM choreo_outbox WHERE routing_key = ? AND (body::jsonb) ->> 'correlation_id' = ?",
           into(n), type, order_id);
    return static_cast<std::int64_t>(n);
  });
}

}  // namespace choreo::testing
