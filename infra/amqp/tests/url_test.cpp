#include <gtest/gtest.h>

#include <stdexcept>

#include "choreo/amqp/consumer.hpp"
#include "choreo/amqp/options.hpp"
#include "choreo/amqp/publisher.hpp"
#include "choreo/amqp/topology.hpp"

namespace choreo::amqp {
namespace {

TEST(ParseUrl, FullUrl) {
  AmqpUrl u = ParseUrl("amqp://alice:s3cret@broker.local:5690/orders");
  EXPECT_EQ(u.user, "alice");
  EXPECT_EQ(u.password, "s3cret");
  EXPECT_EQ(u.host, "broker.local");
  EXPECT_EQ(u.port, 5690);
  EXPECT_EQ(u.vhost, "orders");
}

TEST(ParseUrl, Defaults) {
  AmqpUrl u = ParseUrl("amqp://localhost");
  EXPECT_EQ(u.host, "localhost");
  EXPECT_EQ(u.port, 5672);
  EXPECT_EQ(u.user, "guest");
  EXPECT_EQ(u.password, "guest");
  EXPECT_EQ(u.vhost, "/");
}

TEST(ParseUrl, EmptyPathIsRootVhost) {
  EXPECT_EQ(ParseUrl("amqp://h/").vhost, "/");
  EXPECT_EQ(ParseUrl("amqp://h:1234/").port, 1234);
}

TEST(ParseUrl, EncodedSlashIsRootVhost) {
  EXPECT_EQ(ParseUrl("amqp://h/%2F").vhost, "/");
  EXPECT_EQ(ParseUrl("amqp://h/%2f").vhost, "/");
}

TEST(ParseUrl, PercentDecoding) {
  AmqpUrl u = ParseUrl("amqp://us%40er:p%3Aa%2Fss%25@h:1/v%20h%2Fx");
  EXPECT_EQ(u.user, "us@er");
  EXPECT_EQ(u.password, "p:a/ss%");
  EXPECT_EQ(u.vhost, "v h/x");
}

TEST(ParseUrl, UserWithoutPassword) {
  AmqpUrl u = ParseUrl("amqp://bob@h");
  EXPECT_EQ(u.user, "bob");
  EXPECT_EQ(u.password, "guest");
}

TEST(ParseUrl, Ipv6AndQueryIgnored) {
  AmqpUrl u = ParseUrl("amqp://[::1]:5700/vh?heartbeat=10");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 5700);
  EXPECT_EQ(u.vhost, "vh");
}

TEST(ParseUrl, Rejects) {
  for (const char* bad : {"http://h", "amqps://h", "amqp://", "amqp://:5672", "amqp://h:0",
                          "amqp://h:70000", "amqp://h:12x", "amqp://h/a/b", "amqp://h/%zz",
                          "amqp://h/%2", "amqp://[::1", "amqp://u:p@"}) {
    EXPECT_THROW(ParseUrl(bad), std::invalid_argument) << bad;
  }
}

TEST(ParseUrl, ErrorDoesNotLeakPassword) {
  try {
    ParseUrl("amqp://u:topsecret@h:99999");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).find("topsecret"), std::string::npos) << e.what();
  }
}

TEST(Options, Validate) {
  ConnectionOptions o;
  EXPECT_NO_THROW(o.Validate());
  o.url = "nonsense";
  EXPECT_THROW(o.Validate(), std::invalid_argument);
  o = ConnectionOptions{};
  o.frame_max = 100;
  EXPECT_THROW(o.Validate(), std::invalid_argument);
  o = ConnectionOptions{};
  o.connect_timeout = std::chrono::milliseconds(0);
  EXPECT_THROW(o.Validate(), std::invalid_argument);
  o = ConnectionOptions{};
  o.reconnect.max_delay = std::chrono::milliseconds(1);
  EXPECT_THROW(o.Validate(), std::invalid_argument);
  o = ConnectionOptions{};
  o.reconnect.jitter = 1.5;
  EXPECT_THROW(o.Validate(), std::invalid_argument);

  EXPECT_THROW(PublisherOptions{.window = 0}.Validate(), std::invalid_argument);
  ConsumerOptions c;
  EXPECT_THROW(c.Validate(), std::invalid_argument);
  c.queue = "q";
  EXPECT_NO_THROW(c.Validate());
  c.prefetch = 0;
  EXPECT_THROW(c.Validate(), std::invalid_argument);
}

TEST(QueueSpec, Arguments) {
  QueueSpec q = QueueSpec::Quorum("work");
  q.dead_letter_exchange = "dlx";
  q.dead_letter_routing_key = "work.dlq";
  q.dead_letter_strategy = "at-least-once";
  q.overflow = "reject-publish";
  q.message_ttl = std::chrono::milliseconds(5000);
  q.delivery_limit = 10;
  q.extra_arguments.Set("x-max-length", int64_t{1});
  q.extra_arguments.Set("x-custom", "yes");
  q.max_length = 1000;
  EXPECT_NO_THROW(q.Validate());
  FieldTable a = q.Arguments();
  EXPECT_EQ(a.GetString("x-queue-type"), "quorum");
  EXPECT_EQ(a.GetString("x-dead-letter-exchange"), "dlx");
  EXPECT_EQ(a.GetString("x-dead-letter-routing-key"), "work.dlq");
  EXPECT_EQ(a.GetString("x-dead-letter-strategy"), "at-least-once");
  EXPECT_EQ(a.GetString("x-overflow"), "reject-publish");
  EXPECT_EQ(a.GetInt("x-message-ttl"), 5000);
  EXPECT_EQ(a.GetInt("x-delivery-limit"), 10);
  EXPECT_EQ(a.GetInt("x-max-length"), 1000);  // the typed field wins
  EXPECT_EQ(a.GetString("x-custom"), "yes");

  QueueSpec bad = QueueSpec::Quorum("q");
  bad.durable = false;
  EXPECT_THROW(bad.Validate(), std::invalid_argument);
  bad = QueueSpec::Quorum("q");
  bad.dead_letter_strategy = "sometimes";
  EXPECT_THROW(bad.Validate(), std::invalid_argument);
}

}  // namespace
}  // namespace choreo::amqp
