#include <string>

#include "it_support.hpp"

namespace choreo::amqp::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class ErrorsIt : public VhostSuite {};

TEST_F(ErrorsIt, ConflictingDeclareIsPreconditionFailedAndConnectionStaysUsable) {
  Connection conn(Options("conflict"));
  conn.DeclareQueue(QueueSpec::Quorum("conflict"));
  Publisher publisher(conn);
  QueueSpec classic;
  classic.name = "conflict";
  classic.queue_type = "classic";
  try {
    conn.DeclareQueue(classic);
    FAIL() << "expected ChannelClosedError";
  } catch (const ChannelClosedError& e) {
    EXPECT_EQ(e.ReplyCode(), kReplyPreconditionFailed);
    EXPECT_NE(e.ReplyText().find("PRECONDITION_FAILED"), std::string::npos) << e.ReplyText();
    EXPECT_FALSE(e.Retryable());
  }
  EXPECT_TRUE(conn.IsOpen());
  // Same connection: new declarations, confirmed publishes and gets work.
  EXPECT_EQ(conn.DeclareQueue(QueueSpec::Quorum("after-conflict")).message_count, 0u);
  publisher.Publish("", "after-conflict", TextMessage("a", "b"));
  auto results = publisher.WaitForConfirms(seconds(10));
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].outcome, PublishOutcome::kConfirmed);
  std::optional<Delivery> d = conn.Get("after-conflict");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->message.message_id, "a");
  EXPECT_TRUE(conn.Ack(*d));
  EXPECT_EQ(conn.Reconnects(), 0u) << "a channel error must not cost the connection";
}

TEST_F(ErrorsIt, PassiveDeclareOfMissingQueueIsNotFound) {
  Connection conn(Options("missing"));
  try {
    conn.InspectQueue("nope");
    FAIL();
  } catch (const ChannelClosedError& e) {
    EXPECT_EQ(e.ReplyCode(), kReplyNotFound);
  }
  conn.DeclareQueue(QueueSpec::Quorum("present"));
  QueueInfo info = conn.InspectQueue("present");
  EXPECT_EQ(info.name, "present");
  EXPECT_EQ(info.message_count, 0u);
  EXPECT_EQ(info.consumer_count, 0u);
}

TEST_F(ErrorsIt, BadPasswordIsAccessRefused) {
  ConnectionOptions o = Options("bad-password");
  AmqpUrl url = ParseUrl(o.url);
  o.url = "amqp://" + url.user + ":wrong-password@" + url.host + ":" + std::to_string(url.port) +
          "/" + choreo::testing::UrlEncode(url.vhost);
  try {
    Connection conn(o);
    FAIL();
  } catch (const ServerClosedError& e) {
    EXPECT_EQ(e.ReplyCode(), kReplyAccessRefused) << e.what();
    EXPECT_FALSE(e.Retryable());
  }
}

TEST_F(ErrorsIt, UnknownVhostIsNotAllowed) {
  ConnectionOptions o = Options("bad-vhost");
  o.url += "-missing";
  try {
    Connection conn(o);
    FAIL();
  } catch (const ServerClosedError& e) {
    EXPECT_EQ(e.ReplyCode(), kReplyNotAllowed) << e.what();
  }
}

TEST_F(ErrorsIt, RefusedConnectionIsRetryableConnectionError) {
  ConnectionOptions o;
  o.url = "amqp://guest:guest@127.0.0.1:1/";
  o.connect_timeout = milliseconds(2000);
  try {
    Connection conn(o);
    FAIL();
  } catch (const ConnectionError& e) {
    EXPECT_TRUE(e.Retryable());
    EXPECT_LT(e.Status(), 0);
  }
}

}  // namespace
}  // namespace choreo::amqp::test
