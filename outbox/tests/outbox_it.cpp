// Outbox, relay and inbox against the real broker and both databases.
#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "choreo/amqp/connection.hpp"
#include "choreo/amqp/consumer.hpp"
#include "choreo/outbox/inbox.hpp"
#include "choreo/outbox/outbox.hpp"
#include "choreo/outbox/producer.hpp"
#include "choreo/outbox/properties.hpp"
#include "choreo/outbox/relay.hpp"
#include "choreo/testing/suite_vhost.hpp"
#include "choreo/testing/test_database.hpp"
#include "choreo/testing/testing.hpp"
#include "test_route.hpp"

namespace choreo::outbox {
namespace {

using namespace std::chrono_literals;
using testing::DbKind;
using Poco::Data::Keywords::into;

class OutboxTest : public testing::VhostPerSuite<OutboxTest, ::testing::TestWithParam<DbKind>> {
 public:
  static constexpr const char* kVhostPrefix = "outbox";

 protected:
  void SetUp() override {
    db_ = std::make_unique<testing::TestDatabase>(GetParam(), "outbox");
    store_ = std::make_unique<store::Store>(db_->Url());
    InstallSchema(*store_);
    amqp_ = std::make_unique<amqp::Connection>(amqp::ConnectionOptions{.url = vhost_->AmqpUrl()});
    const test::TestRoute route = test::DeclareTestRoute(*amqp_, "ok.#");
    exchange_ = route.exchange;
    queue_ = route.queue;
  }

  RelayOptions Options() {
    RelayOptions o;
    o.amqp.url = vhost_->AmqpUrl();
    o.batch_size = 64;
    o.window = 16;
    o.retry_initial = 50ms;
    o.retry_max = 200ms;
    return o;
  }

  OutgoingMessage Msg(const std::string& id, const std::string& routing_key = "ok.event") {
    return OutgoingMessage{.message_id = id, .exchange = exchange_, .routing_key = routing_key,
                           .body = R"({"id":")" + id + R"("})", .type = "test.event", .correlation_id = "order-1"};
  }

  void AppendOne(const OutgoingMessage& m) {
    store_->InTransaction([&](store::Tx& tx) { Append(tx, m); });
  }

  // Consumes until `n` deliveries arrived or the deadline passed; returns message ids in
  // arrival order.
  std::vector<std::string> Consume(const std::string& queue, std::size_t n, std::chrono::milliseconds deadline = 10s) {
    amqp::Consumer consumer(*amqp_, {.queue = queue, .prefetch = 256});
    std::vector<std::string> ids;
    testing::WaitFor(
        [&] {
          while (auto d = consumer.Next(50ms)) {
            ids.push_back(d->message.message_id);
            consumer.Ack(*d);
          }
          return ids.size() >= n;
        },
        deadline, 1ms);
    return ids;
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<amqp::Connection> amqp_;
  std::string exchange_, queue_;
};

TEST_P(OutboxTest, RowsCommittedInOrderArePublishedInThatOrder) {
  std::vector<std::string> expected;
  for (int i = 0; i < 300; ++i) {
    expected.push_back("m-" + std::to_string(i));
    AppendOne(Msg(expected.back()));
  }
  Relay relay(*store_, Options());
  while (relay.RunOnce() > 0) {
  }
  EXPECT_EQ(Consume(queue_, expected.size()), expected);
  EXPECT_EQ(Status(*store_).pending, 0);
  EXPECT_EQ(relay.Stats().confirmed, expected.size());
}

TEST_P(OutboxTest, MessagePropertiesSurviveTheOutbox) {
  OutgoingMessage m = Msg("props-1");
  m.headers = {{"x-choreo-version", "1.0"}, {"x-choreo-causation-id", "cause-9"}};
  AppendOne(m);
  Relay relay(*store_, Options());
  relay.RunOnce();
  amqp::Consumer consumer(*amqp_, {.queue = queue_});
  std::optional<amqp::Delivery> d;
  ASSERT_TRUE(testing::WaitFor([&] { return (d = consumer.Next(100ms)).has_value(); }, 10s));
  EXPECT_EQ(d->message.message_id, "props-1");
  EXPECT_EQ(d->message.type, "test.event");
  EXPECT_EQ(d->message.correlation_id, "order-1");
  EXPECT_EQ(d->message.content_type, "application/json");
  EXPECT_EQ(d->message.delivery_mode, amqp::DeliveryMode::kPersistent);
  EXPECT_EQ(d->message.headers.GetString("x-choreo-causation-id"), "cause-9");
  EXPECT_EQ(d->message.body, R"({"id":"props-1"})");
  consumer.Ack(*d);
}

// The one entry point for producers: the event's exchange, its type as routing key and
// AMQP type, and the contract's properties, whoever appends.
TEST_P(OutboxTest, AppendEnvelopeWritesTheContractsRouteAndProperties) {
  const contracts::Envelope e =
      contracts::MakeEnvelope("inventory.committed", "order-7", "cause-7", "inventory", {{"order_id", "order-7"}});
  store_->InTransaction([&](store::Tx& tx) { AppendEnvelope(tx, e); });
  std::string exchange, routing_key, properties, body;
  store_->InTransaction([&](store::Tx& tx) {
    tx.Run("SELECT exchange, routing_key, properties, body FROM choreo_outbox WHERE message_id = ?", into(exchange),
           into(routing_key), into(properties), into(body), e.message_id);
  });
  EXPECT_EQ(exchange, "inventory");
  EXPECT_EQ(routing_key, "inventory.committed");
  EXPECT_EQ(body, contracts::Serialize(e));
  const amqp::Message m = detail::DecodeMessage(e.message_id, properties, body);
  EXPECT_EQ(m.type, "inventory.committed");
  EXPECT_EQ(m.correlation_id, "order-7");
  EXPECT_EQ(m.app_id, "inventory");
  EXPECT_EQ(m.headers.GetString(std::string(contracts::kCausationHeader)), "cause-7");
  EXPECT_TRUE(m.expiration.empty());

  contracts::Envelope unknown = e;
  unknown.message_id = contracts::NewUuid();
  unknown.type = "inventory.teleported";
  EXPECT_THROW(store_->InTransaction([&](store::Tx& tx) { AppendEnvelope(tx, unknown); }), std::invalid_argument);
}

TEST_P(OutboxTest, UnroutableRowDoesNotStopLaterRowsAndIsRetried) {
  AppendOne(Msg("lost-1", "nowhere.event"));
  std::vector<std::string> later;
  for (int i = 0; i < 20; ++i) {
    later.push_back("after-" + std::to_string(i));
    AppendOne(Msg(later.back()));
  }
  Relay relay(*store_, Options());
  relay.RunOnce();
  EXPECT_EQ(Consume(queue_, later.size()), later);
  EXPECT_EQ(relay.Stats().returned, 1u);

  OutboxStatus status = Status(*store_);
  EXPECT_EQ(status.pending, 1);
  EXPECT_EQ(status.failing, 1);
  std::string last_error;
  store_->InTransaction([&](store::Tx& tx) {
    tx.Run("SELECT last_error FROM choreo_outbox WHERE message_id = ?", into(last_error), std::string("lost-1"));
  });
  EXPECT_NE(last_error.find("312"), std::string::npos) << last_error;

  // Once a queue is bound for it, the retry (after its backoff) delivers it.
  std::string late_queue = testing::UniqueName("late");
  amqp_->DeclareQueue(amqp::QueueSpec::Quorum(late_queue));
  amqp_->Bind({.queue = late_queue, .exchange = exchange_, .routing_key = "nowhere.#"});
  ASSERT_TRUE(testing::WaitFor([&] { relay.RunOnce(); return Status(*store_).pending == 0; }, 10s, 20ms));
  EXPECT_EQ(Consume(late_queue, 1), std::vector<std::string>{"lost-1"});
}

// An event without an audience (notification.sent) is routed nowhere by design; it must
// not sit in the outbox forever. Other unroutable keys still fail.
TEST_P(OutboxTest, UnroutableRowOfAnEventWithoutAudienceCountsAsSent) {
  AppendOne(Msg("audit-1", "nobody.listens"));
  AppendOne(Msg("lost-2", "nowhere.event"));
  RelayOptions options = Options();
  options.may_be_unrouted = {"nobody.listens"};
  Relay relay(*store_, options);
  relay.RunOnce();
  OutboxStatus status = Status(*store_);
  EXPECT_EQ(status.pending, 1);
  int64_t audit_pending = -1;
  store_->InTransaction([&](store::Tx& tx) {
    tx.Run("SELECT COUNT(*) FROM choreo_outbox WHERE message_id = ? AND sent_at IS NULL", into(audit_pending),
           std::string("audit-1"));
  });
  EXPECT_EQ(audit_pending, 0);
  EXPECT_EQ(relay.Stats().returned, 2u);
}

TEST_P(OutboxTest, RowForUnknownExchangeBacksOffWithoutBlockingOthers) {
  OutgoingMessage bad = Msg("no-exchange-1");
  bad.exchange = testing::UniqueName("missing");
  AppendOne(bad);
  AppendOne(Msg("fine-1"));
  Relay relay(*store_, Options());
  relay.RunOnce();
  // The refused publish closed the channel; the row after it may have been in flight and
  // is republished by the next cycle.
  ASSERT_TRUE(testing::WaitFor([&] { relay.RunOnce(); return Status(*store_).pending == 1; }, 10s, 20ms));
  EXPECT_EQ(Consume(queue_, 1), std::vector<std::string>{"fine-1"});
  EXPECT_GE(relay.Stats().refused, 1u);
}

TEST_P(OutboxTest, RolledBackTransactionLeavesNoOutboxRow) {
  EXPECT_THROW(store_->InTransaction([&](store::Tx& tx) {
                 Append(tx, Msg("ghost-1"));
                 throw std::runtime_error("business rule failed");
               }),
               std::runtime_error);
  EXPECT_EQ(Status(*store_).pending, 0);
}

TEST_P(OutboxTest, BackgroundRelayIsWokenByNotify) {
  RelayOptions o = Options();
  o.sweep_interval = 60s;  // only Notify can make it publish within the deadline below
  Relay relay(*store_, o);
  relay.Start();
  // Let the first (empty) cycle pass so the relay is asleep on its long sweep interval.
  ASSERT_TRUE(testing::WaitFor([&] { return relay.Stats().cycles >= 1; }, 10s));
  AppendOne(Msg("wake-1"));
  relay.Notify();
  EXPECT_EQ(Consume(queue_, 1, 5s), std::vector<std::string>{"wake-1"});
  relay.Stop();
}

// A relay idle for longer than the broker's heartbeat timeout still has its connection:
// the next publish goes out on it, without a reconnect.
TEST_P(OutboxTest, AnIdleRelayKeepsItsBrokerConnection) {
  RelayOptions o = Options();
  o.amqp.heartbeat_seconds = 1;  // the broker drops a connection silent for about 2 s
  o.sweep_interval = 200ms;
  Relay relay(*store_, o);
  relay.Start();
  AppendOne(Msg("before-idle"));
  relay.Notify();
  ASSERT_EQ(Consume(queue_, 1, 5s), std::vector<std::string>{"before-idle"});
  ASSERT_EQ(relay.Stats().connects, 1u);
  // Idle: 30 sweeps of 200 ms, about 6 s, three times the heartbeat timeout.
  const uint64_t cycles = relay.Stats().cycles;
  ASSERT_TRUE(testing::WaitFor([&] { return relay.Stats().cycles >= cycles + 30; }, 20s, 50ms));
  AppendOne(Msg("after-idle"));
  relay.Notify();
  EXPECT_EQ(Consume(queue_, 1, 10s), std::vector<std::string>{"after-idle"});
  EXPECT_EQ(relay.Stats().connects, 1u) << "the broker dropped the idle relay's connection";
  relay.Stop();
}

TEST_P(OutboxTest, RetentionDeletesOnlySentRows) {
  AppendOne(Msg("sent-1"));
  Relay relay(*store_, Options());
  relay.RunOnce();
  AppendOne(Msg("pending-1"));
  EXPECT_EQ(DeleteSent(*store_, 0ms), 1u);
  EXPECT_EQ(Status(*store_).pending, 1);
}

TEST_P(OutboxTest, InboxAppliesTheSameMessageIdOnce) {
  store_->InTransaction([](store::Tx& tx) { tx.RunScript("CREATE TABLE effects (id TEXT PRIMARY KEY, n BIGINT NOT NULL)"); });
  auto handle = [&](const std::string& message_id) {
    store_->InTransaction([&](store::Tx& tx) {
      if (!TryRecord(tx, "test-consumer", message_id)) return;
      tx.Run("INSERT INTO effects (id, n) VALUES (?, 1) ON CONFLICT (id) DO UPDATE SET n = effects.n + 1", message_id);
    });
  };
  // The same message arrives twice through the broker (a republish after a crash).
  AppendOne(Msg("dup-1"));
  Relay relay(*store_, Options());
  relay.RunOnce();
  store_->InTransaction([](store::Tx& tx) { tx.Run("UPDATE choreo_outbox SET sent_at = NULL"); });
  relay.RunOnce();
  std::vector<std::string> delivered = Consume(queue_, 2);
  ASSERT_EQ(delivered.size(), 2u);
  for (const auto& id : delivered) handle(id);

  Poco::Int64 n = 0;
  store_->InTransaction([&](store::Tx& tx) { tx.Run("SELECT n FROM effects WHERE id = ?", into(n), std::string("dup-1")); });
  EXPECT_EQ(n, 1);
  // Another consumer has its own inbox entry for the same id.
  store_->InTransaction([&](store::Tx& tx) {
    EXPECT_TRUE(Contains(tx, "test-consumer", "dup-1"));
    EXPECT_FALSE(Contains(tx, "other-consumer", "dup-1"));
    EXPECT_TRUE(TryRecord(tx, "other-consumer", "dup-1"));
  });
  EXPECT_EQ(DeleteInboxOlderThan(*store_, -1ms), 2u);
}

INSTANTIATE_TEST_SUITE_P(Db, OutboxTest, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return testing::DbKindName(info.param); });

}  // namespace
}  // namespace choreo::outbox
