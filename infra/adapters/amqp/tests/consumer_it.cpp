#include <string>

#include "it_support.hpp"
#include "message_support.hpp"

namespace choreo::amqp::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using choreo::testing::WaitFor;

class ConsumerIt : public VhostSuite {
 protected:
  // Publishes and insists on the confirm, so a test starts from a known queue state.
  static void PublishConfirmed(Connection& conn, const std::string& exchange,
                               const std::string& key, const Message& m) {
    Publisher publisher(conn);
    publisher.Publish(exchange, key, m);
    auto results = publisher.WaitForConfirms(seconds(10));
    ASSERT_EQ(results.size(), 1u);
    ASSERT_EQ(results[0].outcome, PublishOutcome::kConfirmed) << results[0].reply_text;
  }

  // Quorum queue `queue` holding just `m`.
  static void QueueWithOne(Connection& conn, const std::string& queue, const Message& m) {
    conn.DeclareQueue(QueueSpec::Quorum(queue));
    PublishConfirmed(conn, "", queue, m);
  }

  static std::optional<Delivery> NextWithin(Consumer& consumer, milliseconds timeout) {
    std::optional<Delivery> d;
    WaitFor([&] { return (d = consumer.Next(milliseconds(100))).has_value(); }, timeout);
    return d;
  }

  // The next delivery is `id` again, marked redelivered; acked.
  static void ExpectRedelivery(Consumer& consumer, const std::string& id) {
    std::optional<Delivery> again = NextWithin(consumer, seconds(10));
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(again->message.message_id, id);
    EXPECT_TRUE(again->redelivered);
    EXPECT_TRUE(consumer.Ack(*again));
  }
};

TEST_F(ConsumerIt, RejectedMessageIsDeadLetteredWithXDeath) {
  Connection conn(Options("dlx"));
  conn.DeclareExchange(ExchangeSpec{.name = "work.dlx", .type = "direct"});
  conn.DeclareQueue(QueueSpec::Quorum("work.dlq"));
  conn.Bind(BindingSpec{.queue = "work.dlq", .exchange = "work.dlx", .routing_key = "work.dlq"});
  QueueSpec work = QueueSpec::Quorum("work");
  work.dead_letter_exchange = "work.dlx";
  work.dead_letter_routing_key = "work.dlq";
  work.dead_letter_strategy = "at-least-once";
  work.overflow = "reject-publish";
  conn.DeclareQueue(work);

  Message m = TextMessage("doomed-1", R"({"bad":true})");
  m.headers.Set("x-error-class", "permanent");
  PublishConfirmed(conn, "", "work", m);

  Consumer consumer(conn, ConsumerOptions{.queue = "work", .prefetch = 10});
  std::optional<Delivery> d = NextWithin(consumer, seconds(10));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->message.message_id, "doomed-1");
  ASSERT_TRUE(consumer.Reject(*d, false));

  std::optional<Delivery> dead;
  ASSERT_TRUE(WaitFor([&] { return (dead = conn.Get("work.dlq")).has_value(); }, seconds(20),
                      milliseconds(50)));
  EXPECT_EQ(dead->message.message_id, "doomed-1");
  EXPECT_EQ(dead->message.body, R"({"bad":true})");
  EXPECT_EQ(dead->message.headers.GetString("x-error-class"), "permanent");
  std::vector<XDeath> deaths = ParseXDeath(dead->message.headers);
  ASSERT_EQ(deaths.size(), 1u);
  EXPECT_EQ(deaths[0].reason, "rejected");
  EXPECT_EQ(deaths[0].queue, "work");
  EXPECT_EQ(deaths[0].count, 1);
  EXPECT_EQ(deaths[0].exchange, "");
  EXPECT_EQ(deaths[0].routing_keys, std::vector<std::string>{"work"});
  ASSERT_TRUE(deaths[0].time.has_value());
  EXPECT_LE(std::chrono::abs(std::chrono::system_clock::now() - *deaths[0].time), std::chrono::minutes(5));
  EXPECT_EQ(DeathCount(dead->message.headers, "work"), 1);
  EXPECT_TRUE(conn.Ack(*dead));
}

TEST_F(ConsumerIt, PropertiesAndNestedHeadersSurviveTheBroker) {
  Connection conn(Options("props"));
  conn.DeclareQueue(QueueSpec::Quorum("props"));
  Message m = WithEveryProperty("p-1", "body");
  m.headers.Set("attempt", 3)
      .Set("nested", FieldTable{{"a", "b"}, {"list", FieldArray{FieldValue(1), FieldValue("two")}}})
      .Set("flag", true);
  PublishConfirmed(conn, "", "props", m);

  Consumer consumer(conn, ConsumerOptions{.queue = "props"});
  std::optional<Delivery> d = NextWithin(consumer, seconds(10));
  ASSERT_TRUE(d.has_value());
  const Message& got = d->message;
  ExpectSameProperties(got, m);
  EXPECT_EQ(got.delivery_mode, DeliveryMode::kPersistent);
  EXPECT_EQ(got.headers.GetInt("attempt"), 3);
  ASSERT_NE(got.headers.Find("nested"), nullptr);
  EXPECT_EQ(*got.headers.Find("nested"), *m.headers.Find("nested"));
  EXPECT_EQ(got.headers.Find("flag")->As<bool>() != nullptr, true);
  EXPECT_EQ(d->exchange, "");
  EXPECT_EQ(d->routing_key, "props");
  EXPECT_EQ(d->consumer_tag, consumer.Tag());
  EXPECT_FALSE(d->redelivered);
  EXPECT_TRUE(consumer.Ack(*d));
}

TEST_F(ConsumerIt, NackWithRequeueRedelivers) {
  Connection conn(Options("nack"));
  QueueWithOne(conn, "nack", TextMessage("n-1", "again"));
  Consumer consumer(conn, ConsumerOptions{.queue = "nack"});
  const auto first = NextWithin(consumer, seconds(10));
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(first->redelivered);
  ASSERT_TRUE(consumer.Nack(*first, true));
  ExpectRedelivery(consumer, "n-1");
}

TEST_F(ConsumerIt, GetReportsRemainingCountAndEmptyQueue) {
  Connection conn(Options("get"));
  conn.DeclareQueue(QueueSpec::Quorum("get"));
  {
    Publisher publisher(conn);
    for (int i = 0; i < 3; ++i) publisher.Publish("", "get", TextMessage(std::to_string(i), "g"));
    for (const auto& r : publisher.WaitForConfirms(seconds(10))) {
      ASSERT_EQ(r.outcome, PublishOutcome::kConfirmed);
    }
  }
  EXPECT_EQ(conn.InspectQueue("get").message_count, 3u);
  std::optional<Delivery> d = conn.Get("get");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->message.message_id, "0");
  EXPECT_EQ(d->message_count, 2u);
  EXPECT_TRUE(conn.Ack(*d));
  d = conn.Get("get", true);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->message_count, 1u);
  EXPECT_EQ(conn.PurgeQueue("get"), 1u);
  EXPECT_FALSE(conn.Get("get").has_value());
}

TEST_F(ConsumerIt, AckFromOlderChannelGenerationIsIgnoredAndMessageRedelivered) {
  Connection conn(Options("stale"));
  QueueWithOne(conn, "stale", TextMessage("s-1", "stale"));
  Consumer consumer(conn, ConsumerOptions{.queue = "stale"});
  std::optional<Delivery> d = NextWithin(consumer, seconds(10));
  ASSERT_TRUE(d.has_value());
  // Any channel error reopens the channel: its delivery tags no longer exist.
  EXPECT_THROW(conn.InspectQueue("does-not-exist"), ChannelClosedError);
  EXPECT_GT(conn.Generation(), d->generation);
  EXPECT_FALSE(consumer.Ack(*d));
  // The consumer was re-established on the new channel and gets the message again.
  ExpectRedelivery(consumer, "s-1");
}

TEST_F(ConsumerIt, ServerCancelSurfacesAsConsumerCancelled) {
  Connection conn(Options("cancel"));
  conn.DeclareQueue(QueueSpec::Quorum("cancelled"));
  Consumer consumer(conn, ConsumerOptions{.queue = "cancelled"});
  {
    Connection other(Options("cancel-admin"));
    other.DeleteQueue("cancelled");
  }
  bool cancelled = WaitFor(
      [&] {
        try {
          consumer.Next(milliseconds(100));
          return false;
        } catch (const ConsumerCancelledError&) {
          return true;
        }
      },
      seconds(10));
  EXPECT_TRUE(cancelled);
}

}  // namespace
}  // namespace choreo::amqp::test
