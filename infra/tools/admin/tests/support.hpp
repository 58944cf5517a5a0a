#pragma once
// Shared by the admin integration tests: the order worker's topology in a test vhost, a
// stand-in for the worker runtime (not written yet) that dead-letters poison messages
// exactly as contracts/dead_letter.hpp describes, and helpers to seed and read queues.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "choreo/admin/admin.hpp"
#include "choreo/amqp/amqp.hpp"
#include "choreo/contracts/topology.hpp"
#include "choreo/store/store.hpp"
#include "choreo/testing/testing.hpp"

namespace choreo::admin::testing {

// How choreo-admin reaches `vhost` of the test broker: its AMQP URL, the test management API
// (CHOREO_TEST_MGMT_URL), and a connection name made unique from `name`.
Endpoints EndpointsFor(const choreo::testing::TestVhost& vhost, const std::string& name = "choreo-admin");

// A fresh vhost per test (OpenVhost in SetUp), a connection to it, and how choreo-admin
// reaches it.
class VhostTest : public ::testing::Test {
 protected:
  void OpenVhost(const std::string& prefix, const std::string& connection_name);

  std::unique_ptr<choreo::testing::TestVhost> vhost_;
  std::unique_ptr<amqp::Connection> connection_;
  Endpoints endpoints_;
};

// Declares the event exchanges, choreo.dlx and every queue and binding of `worker`.
contracts::topology::WorkerTopology DeclareWorker(amqp::Connection& connection,
                                                  std::string_view worker);

// An order.placed message as a producer would publish it (envelope body, properties).
amqp::Message OrderPlaced(const std::string& order_id, bool poison = false);

// A dead letter as the runtime writes it, published straight into <queue>.dlq.
struct DeadLetterSeed {
  amqp::Message message;
  std::string error_class = "contract_violation";
  std::string error_message = "payload.lines[0].quantity must be >= 1";
  std::string worker = "order";
  std::string original_exchange = "orders";
  std::string original_routing_key = "order.placed";
  std::string original_queue = "order";
  int64_t attempts = 1;
  std::string dead_lettered_at;  // empty: now
};
void SeedDeadLetters(amqp::Connection& connection, const std::string& dlq,
                     const std::vector<DeadLetterSeed>& seeds);

// Publishes with confirm + mandatory; throws unless every message was confirmed.
void PublishConfirmed(amqp::Connection& connection, const std::string& exchange,
                      const std::string& routing_key, const std::vector<amqp::Message>& messages);

// Installs the outbox schema in the store at `store_url` and appends `count` rows (to the
// orders exchange, never sent): a backlog for outbox status.
void AddPendingOutboxRows(const std::string& store_url, int count);

// Takes every message of `queue` (acking them) and returns them in order.
std::vector<amqp::Message> Drain(amqp::Connection& connection, const std::string& queue);
// Message ids in `queue`, in order, leaving the queue as it was.
std::vector<std::string> Peek(amqp::Connection& connection, const std::string& queue);

// Stands in for a worker: consumes `queue`; a message it rejects is dead-lettered the
// way the runtime does (copy with the x-choreo-* headers to choreo.dlx, confirm, then ack
// the original); one it accepts is applied in one store transaction with its inbox row,
// so a duplicate delivery has no effect.
class FakeWorker {
 public:
  FakeWorker(std::string amqp_url, std::string store_url, std::string queue);
  ~FakeWorker();

  // Rejects messages whose body has "poison": true, until Fix() is called.
  void Start();
  void Fix() { fixed_ = true; }
  void Stop();

  // Effects applied per message id (more than 1 would be a duplicated effect).
  std::map<std::string, int> Effects();
  std::size_t Deliveries() const { return deliveries_; }
  std::size_t DeadLettered() const { return dead_lettered_; }
  // Headers of the last delivery of `message_id`.
  amqp::FieldTable LastHeaders(const std::string& message_id);
  std::string Error();

 private:
  void Loop();

  std::string amqp_url_;
  std::string queue_;
  std::unique_ptr<store::Store> store_;
  std::atomic<bool> fixed_{false};
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> deliveries_{0};
  std::atomic<std::size_t> dead_lettered_{0};
  std::thread thread_;
  std::mutex mutex_;
  std::map<std::string, amqp::FieldTable> last_headers_;
  std::string error_;
};

// Result of running build/bin/choreo-admin.
struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
RunResult RunBinary(const std::string& binary, const std::vector<std::string>& args,
                    const std::string& stdin_text = "",
                    const std::map<std::string, std::string>& env = {});

// Force-closes (through the management API) every connection of `vhost` whose
// connection_name is `name` (or starts with it, with `prefix`); returns how many.
int CloseConnections(const std::string& vhost, const std::string& name, bool prefix = true);

}  // namespace choreo::admin::testing
