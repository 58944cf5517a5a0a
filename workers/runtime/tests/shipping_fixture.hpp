#pragma once
// What the runtime's integration tests run: a "shipping" worker (a real topology entry
// that subscribes to inventory.committed only) with the test's own handlers and a table
// of shipments, on SQLite, in a WorkerFixture rig.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "choreo/amqp/publisher.hpp"
#include "choreo/contracts/events.hpp"
#include "choreo/store/store.hpp"
#include "choreo/testing/worker_fixture.hpp"
#include "choreo/worker/worker.hpp"
#include "committed_event.hpp"

namespace choreo::worker::test {

class ShippingFixture : public testing::WorkerFixture<> {
 protected:
  // `prefix` names the rig's vhost and database.
  explicit ShippingFixture(std::string prefix) : prefix_(std::move(prefix)) {}

  void SetUp() override { OpenRig(prefix_, testing::DbKind::kSqlite); }

  // Options of worker `name` on the rig, with an ephemeral admin HTTP port.
  WorkerOptions Options(std::string name, int max_retries = 4) {
    WorkerOptions options = RigOptions(std::move(name));
    options.max_retries = max_retries;
    options.http_port = 0;
    return options;
  }

  // Starts the worker with the shipments table and the test's handlers.
  void Start(const WorkerOptions& options, const std::function<void(Worker&)>& register_handlers) {
    ASSERT_TRUE(worker_.Start(
        options,
        [&](Worker& w) {
          w.Migrations({{1, "create shipments", "CREATE TABLE shipments (order_id TEXT PRIMARY KEY)"}});
          register_handlers(w);
        },
        std::chrono::seconds(20)));
  }

  std::int64_t Shipments() {
    Poco::Int64 n = 0;
    worker_->Store().InTransaction(
        [&](store::Tx& tx) { tx.Run("SELECT COUNT(*) FROM shipments", Poco::Data::Keywords::into(n)); });
    return n;
  }

  // Publishes `sent` straight to inventory.committed back to back, so that the worker
  // takes them in batches, and fails the test unless the broker confirms them all.
  void PublishBatch(const std::vector<contracts::Envelope>& sent) {
    for (const auto& env : sent) {
      probe_->Publisher().Publish("inventory", "inventory.committed",
                                  amqp::Message{.body = contracts::Serialize(env), .message_id = env.message_id});
    }
    for (const auto& r : probe_->Publisher().WaitForConfirms(std::chrono::seconds(30))) {
      ASSERT_EQ(r.outcome, amqp::PublishOutcome::kConfirmed);
    }
  }

  // Whether the worker gets to `handled` messages handled and `dead_lettered` dead-lettered
  // within 30 s; the failure tells where it stopped.
  ::testing::AssertionResult Settles(std::uint64_t handled, std::uint64_t dead_lettered) {
    const auto settled = [&] {
      return worker_->Stats().handled == handled && worker_->Stats().dead_lettered == dead_lettered;
    };
    if (testing::WaitFor(settled, std::chrono::seconds(30))) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "handled " << worker_->Stats().handled << ", dead-lettered "
                                         << worker_->Stats().dead_lettered;
  }

 private:
  std::string prefix_;
};

}  // namespace choreo::worker::test
