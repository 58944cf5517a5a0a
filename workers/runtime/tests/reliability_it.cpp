// The runtime against what real deployments meet first: a producer that starts before any
// consumer, retry counting that does not trust x-death, hostile bodies and header tables,
// and a dependency that fails for everyone. Real broker, real SQLite store.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "choreo/amqp/connection.hpp"
#include "choreo/contracts/dead_letter.hpp"
#include "choreo/contracts/events.hpp"
#include "choreo/contracts/time.hpp"
#include "choreo/contracts/topology.hpp"
#include "choreo/outbox/producer.hpp"
#include "choreo/testing/http_client.hpp"
#include "choreo/worker/worker.hpp"
#include "shipping_fixture.hpp"

namespace choreo::worker {
namespace {

using namespace std::chrono_literals;
namespace dl = contracts::dead_letter;

using test::Committed;

std::string Body(const contracts::InventoryCommitted& e) { return contracts::Serialize(contracts::MakeEnvelope(e)); }

// GET on the worker's admin endpoint: (status, body).
std::pair<int, std::string> HttpGet(int port, const std::string& path) {
  const testing::HttpResult result = testing::Request(static_cast<std::uint16_t>(port), "GET", path);
  return {result.status, result.body};
}

class ReliabilityTest : public test::ShippingFixture {
 protected:
  ReliabilityTest() : ShippingFixture("reliab") {}

  uint32_t Depth(const std::string& queue) {
    amqp::Connection connection(amqp::ConnectionOptions{.url = vhost_->AmqpUrl()});
    return connection.InspectQueue(queue).message_count;
  }
};

void Ship(Context& ctx, const contracts::InventoryCommitted& e) {
  ctx.Tx().Run("INSERT INTO shipments (order_id) VALUES (?)", e.order_id);
}

// A producer that runs before any consumer has ever started on this vhost: its event must
// reach every subscriber's queue. A publish is confirmed once ONE bound queue has it, so a
// producer that declared only its own part would lose the event for subscribers whose
// queues did not exist yet.
TEST_F(ReliabilityTest, AProducerThatStartsFirstLosesNoSubscribersEvent) {
  Start(Options("gateway"), [](Worker&) {});
  contracts::OrderPlaced placed;
  placed.order_id = contracts::NewUuid();
  placed.customer_id = "cust-1";
  placed.lines = {{.sku = "sku-001", .quantity = 1}};
  placed.payment = {.method = contracts::PaymentMethod::kCard, .token = "tok_ok"};
  placed.shipping_address = {.name = "Ada", .line1 = "1 Main St", .city = "Berlin", .postal_code = "10115", .country = "DE"};
  placed.placed_at = contracts::NowRfc3339();
  worker_->Store().InTransaction([&](store::Tx& tx) { outbox::AppendEnvelope(tx, contracts::MakeEnvelope(placed)); });
  worker_->NotifyOutbox();
  // order.placed goes to the order and inventory workers, neither of which ever ran.
  const auto subscribers = contracts::topology::SubscribersOf("order.placed");
  ASSERT_EQ(subscribers.size(), 2u);
  for (const std::string& queue : subscribers) {
    EXPECT_TRUE(testing::WaitFor([&] { return Depth(queue) == 1; }, 15s)) << queue;
  }
}

// The attempt number is the runtime's own header. A first delivery that carries a forged
// (or, after a 3.13+ broker republished a copy, stale) x-death claiming many expiries of
// the retry queues must still get exactly 1 + max_retries runs before the DLQ.
TEST_F(ReliabilityTest, RetriesAreCountedByTheRuntimeNotByXDeath) {
  std::atomic<int> runs{0};
  Start(Options("shipping", /*max_retries=*/2), [&](Worker& w) {
    w.On<contracts::InventoryCommitted>([&](Context&, const contracts::InventoryCommitted&) {
      ++runs;
      throw TransientError("always fails");
    });
  });
  auto death = [](const std::string& queue) {
    return amqp::FieldValue(amqp::FieldTable{{"count", amqp::FieldValue(int64_t{9})},
                                             {"reason", amqp::FieldValue("expired")},
                                             {"queue", amqp::FieldValue(queue)},
                                             {"exchange", amqp::FieldValue("")}});
  };
  amqp::Message message{.body = Body(Committed(contracts::NewUuid())), .message_id = contracts::NewUuid(),
                        .content_type = "application/json", .type = "inventory.committed"};
  message.headers.Set("x-death", amqp::FieldValue(amqp::FieldArray{death("shipping.retry.1"), death("shipping.retry.2")}));
  probe_->PublishRaw("inventory", "inventory.committed", message);

  std::optional<amqp::Delivery> dead = probe_->AwaitMessage("shipping.dlq", 30s);
  ASSERT_TRUE(dead.has_value());
  EXPECT_EQ(runs.load(), 3);
  EXPECT_EQ(dead->message.headers.GetInt(dl::kAttempts), 3);
  EXPECT_EQ(dead->message.headers.GetString(dl::kErrorClass), std::string(dl::kTransientExhausted));
  // A replay of the dead letter starts counting afresh.
  EXPECT_EQ(dead->message.headers.Find(dl::kAttempt), nullptr);
}

// The body that crashed workers (a payload field 400,000 arrays deep, 800 KB: it passes
// the tolerant schemas) is dead-lettered unparsed, and the worker goes on.
TEST_F(ReliabilityTest, ADeeplyNestedBodyIsDeadLetteredUnparsedAndTheWorkerGoesOn) {
  Start(Options("shipping"), [](Worker& w) { w.On<contracts::InventoryCommitted>(Ship); });
  std::string body = Body(Committed(contracts::NewUuid()));
  body.pop_back();
  body += R"(,"extra":)" + std::string(400000, '[') + std::string(400000, ']') + "}";
  probe_->PublishRaw("inventory", "inventory.committed",
                   {.body = body, .message_id = "deep-1", .content_type = "application/json", .type = "inventory.committed"});
  std::optional<amqp::Delivery> dead = probe_->AwaitMessage("shipping.dlq", 20s);
  ASSERT_TRUE(dead.has_value());
  EXPECT_EQ(dead->message.headers.GetString(dl::kErrorClass), std::string(dl::kLimitExceeded));
  EXPECT_NE(dead->message.headers.GetString(dl::kErrorMessage).value_or("").find("nesting deeper than 64"),
            std::string::npos);
  EXPECT_EQ(dead->message.body, body);  // kept as it was, for an operator to look at

  probe_->Publish(Committed(contracts::NewUuid()));
  EXPECT_TRUE(testing::WaitFor([&] { return Shipments() == 1; }, 10s));
}

// Foreign headers that fill a frame leave no room for the reason the runtime adds: the
// dead letter then goes out with a minimal header set instead of never.
TEST_F(ReliabilityTest, HeadersThatCannotBeReEncodedAreDroppedNotTheMessage) {
  Start(Options("shipping"), [](Worker& w) { w.On<contracts::InventoryCommitted>(Ship); });
  amqp::Message message{.body = "not json", .message_id = "fat-headers-1", .content_type = "application/json",
                        .type = "inventory.committed"};
  message.headers.Set("x-foreign", amqp::FieldValue(std::string(130700, 'h')));
  probe_->PublishRaw("inventory", "inventory.committed", message);
  std::optional<amqp::Delivery> dead = probe_->AwaitMessage("shipping.dlq", 20s);
  ASSERT_TRUE(dead.has_value());
  EXPECT_EQ(dead->message.headers.GetString(dl::kErrorClass), std::string(dl::kContractError));
  EXPECT_EQ(dead->message.headers.Find("x-foreign"), nullptr);
  EXPECT_NE(dead->message.headers.Find("x-choreo-headers-dropped"), nullptr);
  EXPECT_EQ(dead->message.headers.GetString(dl::kOriginalRoutingKey), "inventory.committed");
  EXPECT_EQ(dead->message.body, "not json");

  probe_->Publish(Committed(contracts::NewUuid()));
  EXPECT_TRUE(testing::WaitFor([&] { return Shipments() == 1; }, 10s));
}

// A dead letter must not inherit the original's per-message TTL: the DLQ dead-letters
// nowhere, so an expiring copy would simply vanish.
TEST_F(ReliabilityTest, ADeadLetterDoesNotExpireWithItsOriginalsTtl) {
  Start(Options("shipping"), [](Worker& w) { w.On<contracts::InventoryCommitted>(Ship); });
  probe_->PublishRaw("inventory", "inventory.committed",
                   {.body = "{}", .message_id = "ttl-1", .content_type = "application/json",
                    .type = "inventory.committed", .expiration = "300"});
  ASSERT_TRUE(testing::WaitFor([&] { return Depth("shipping.dlq") == 1; }, 20s));
  // Well past the TTL it is still there.
  EXPECT_FALSE(testing::WaitFor([&] { return Depth("shipping.dlq") == 0; }, 1500ms));
  std::optional<amqp::Delivery> dead = probe_->AwaitMessage("shipping.dlq", 5s);
  ASSERT_TRUE(dead.has_value());
  EXPECT_EQ(dead->message.message_id, "ttl-1");
  EXPECT_TRUE(dead->message.expiration.empty());
}

// A dependency that fails for everyone opens the circuit: no message is dead-lettered,
// /readyz names the circuit, and when the dependency is back every message is handled.
TEST_F(ReliabilityTest, ADependencyOutageOpensTheCircuitAndBurnsNoRetries) {
  std::atomic<bool> down{true};
  std::atomic<int> calls{0};
  WorkerOptions options = Options("shipping", /*max_retries=*/1);
  options.circuit = CircuitOptions{.failure_threshold = 2, .open_initial = 200ms, .open_max = 1s};
  Start(options, [&](Worker& w) {
    w.On<contracts::InventoryCommitted, int>(
        [&](EffectContext&, const contracts::InventoryCommitted&) {
          ++calls;
          if (down) throw DependencyError("provider", "connection refused");
          return 1;
        },
        [](Context& ctx, const contracts::InventoryCommitted& e, const int&) { Ship(ctx, e); });
  });
  for (int i = 0; i < 20; ++i) probe_->Publish(Committed(contracts::NewUuid()));

  ASSERT_TRUE(testing::WaitFor([&] { return HttpGet(worker_->HttpPort(), "/readyz").first == 503; }, 10s));
  const auto [status, body] = HttpGet(worker_->HttpPort(), "/readyz");
  EXPECT_NE(body.find("circuit 'provider'"), std::string::npos) << body;
  EXPECT_NE(HttpGet(worker_->HttpPort(), "/metrics").second.find("choreo_circuit_state{circuit=\"provider\""),
            std::string::npos);
  // Let four probes fail (backoffs 0.2 + 0.4 + 0.8 + 1 s): longer than the whole retry
  // schedule (1 s for the one retry allowed), so had failures spent attempts, messages
  // would be in the DLQ by now.
  const int calls_when_open = calls.load();
  EXPECT_TRUE(testing::WaitFor([&] { return calls.load() >= calls_when_open + 4; }, 15s));
  EXPECT_LT(calls.load(), calls_when_open + 8) << "one probe at a time while the circuit is open";
  EXPECT_EQ(Depth("shipping.dlq"), 0u);

  down = false;
  EXPECT_TRUE(testing::WaitFor([&] { return Shipments() == 20; }, 30s)) << Shipments();
  EXPECT_TRUE(testing::WaitFor([&] { return HttpGet(worker_->HttpPort(), "/readyz").first == 200; }, 10s));
  EXPECT_EQ(Depth("shipping.dlq"), 0u);
  EXPECT_EQ(worker_->Stats().dead_lettered, 0u);
}

}  // namespace
}  // namespace choreo::worker
