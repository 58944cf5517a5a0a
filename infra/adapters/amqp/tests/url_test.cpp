#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <tuple>

#include "choreo/amqp/consumer.hpp"
#include "choreo/amqp/options.hpp"
#include "choreo/amqp/publisher.hpp"
#include "choreo/amqp/topology.hpp"

namespace choreo::amqp {
namespace {

// user, password, host, port, vhost of a parsed URL, compared in one expectation.
using UrlParts = std::tuple<std::string, std::string, std::string, int, std::string>;
UrlParts Parts(const std::string& url) {
  const AmqpUrl u = ParseUrl(url);
  return {u.user, u.password, u.host, u.port, u.vhost};
}

TEST(ParseUrl, FullUrl) {
  EXPECT_EQ(Parts("amqp://alice:s3cret@broker.local:5690/orders"),
            (UrlParts{"alice", "s3cret", "broker.local", 5690, "orders"}));
}

TEST(ParseUrl, Defaults) {
  EXPECT_EQ(Parts("amqp://localhost"), (UrlParts{"guest", "guest", "localhost", 5672, "/"}));
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
  EXPECT_EQ(Parts("amqp://us%40er:p%3Aa%2Fss%25@h:1/v%20h%2Fx"), (UrlParts{"us@er", "p:a/ss%", "h", 1, "v h/x"}));
}

TEST(ParseUrl, UserWithoutPassword) {
  EXPECT_EQ(Parts("amqp://bob@h"), (UrlParts{"bob", "guest", "h", 5672, "/"}));
}

TEST(ParseUrl, Ipv6AndQueryIgnored) {
  EXPECT_EQ(Parts("amqp://[::1]:5700/vh?heartbeat=10"), (UrlParts{"guest", "guest", "::1", 5700, "vh"}));
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

// The message of the invalid_argument `f` throws; fails the test when it throws nothing.
template <class F>
std::string ErrorOf(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  ADD_FAILURE() << "no std::invalid_argument";
  return "";
}

TEST(ParseUrls, SingleUrlIsAListOfOne) {
  auto urls = ParseUrls("amqp://alice:s3cret@broker.local:5690/orders");
  ASSERT_EQ(urls.size(), 1u);
  EXPECT_EQ(urls[0].host, "broker.local");
  EXPECT_EQ(urls[0].password, "s3cret");
  // Its errors are those of ParseUrl, unchanged.
  EXPECT_EQ(ErrorOf([] { ParseUrls("amqp://h:0"); }), ErrorOf([] { ParseUrl("amqp://h:0"); }));
}

TEST(ParseUrls, ListInOrderWithBlanksAroundItems) {
  auto urls = ParseUrls(" amqp://u:p@n1:5801/v ,\tamqp://u:p@n2:5802/v,amqp://u:p@[::1]:5803/v\n");
  ASSERT_EQ(urls.size(), 3u);
  EXPECT_EQ(urls[0].host, "n1");
  EXPECT_EQ(urls[1].port, 5802);
  EXPECT_EQ(urls[2].host, "::1");
  for (const AmqpUrl& u : urls) {
    EXPECT_EQ(u.user, "u");
    EXPECT_EQ(u.password, "p");
    EXPECT_EQ(u.vhost, "v");
  }
  EXPECT_EQ(Endpoint(urls[0]), "n1:5801");
  EXPECT_EQ(Endpoint(urls[2]), "[::1]:5803");
}

TEST(ParseUrls, EmptyListsAndItems) {
  for (const char* bad : {"", " ", ",", "amqp://h,", ",amqp://h", "amqp://h,,amqp://h2",
                          "amqp://h, ,amqp://h2"}) {
    EXPECT_THROW(ParseUrls(bad), std::invalid_argument) << "'" << bad << "'";
  }
  EXPECT_NE(ErrorOf([] { ParseUrls("amqp://h,,amqp://h2"); }).find("item 2 of 3 is empty"),
            std::string::npos);
}

TEST(ParseUrls, BadItemIsNamedByPositionWithoutItsPassword) {
  const std::string error =
      ErrorOf([] { ParseUrls("amqp://u:topsecret@h1,amqp://u:topsecret@h2:99999"); });
  EXPECT_NE(error.find("item 2 of 2"), std::string::npos) << error;
  EXPECT_NE(error.find("bad port"), std::string::npos) << error;
  EXPECT_EQ(error.find("topsecret"), std::string::npos) << error;
  for (const char* bad : {"amqp://h1,http://h2", "amqp://h1,amqp://h2/a/b", "amqp://h1,amqp://"}) {
    EXPECT_THROW(ParseUrls(bad), std::invalid_argument) << bad;
  }
}

TEST(ParseUrls, ItemsMustShareCredentialsAndVhost) {
  EXPECT_NO_THROW(ParseUrls("amqp://u:p@h1/v,amqp://u:p@h2/v"));
  std::string error = ErrorOf([] { ParseUrls("amqp://u:secret1@h1/v,amqp://u:secret2@h2/v"); });
  EXPECT_NE(error.find("user or password"), std::string::npos) << error;
  EXPECT_EQ(error.find("secret"), std::string::npos) << error;
  error = ErrorOf([] { ParseUrls("amqp://u:p@h1/v,amqp://u:p@h2/w"); });
  EXPECT_NE(error.find("vhost"), std::string::npos) << error;
  // Defaults count: no user info means guest/guest, no path the vhost "/".
  EXPECT_NO_THROW(ParseUrls("amqp://guest:guest@h1/%2F,amqp://h2"));
  EXPECT_THROW(ParseUrls("amqp://h1,amqp://bob@h2"), std::invalid_argument);
}

TEST(ParseUrls, LongListsAreBounded) {
  auto list = [](std::size_t n, const std::string& last) {
    std::string s;
    for (std::size_t i = 1; i < n; ++i) s += "amqp://u:hidden@h" + std::to_string(i) + ",";
    return s + last;
  };
  EXPECT_EQ(ParseUrls(list(kMaxUrls, "amqp://u:hidden@last")).size(), kMaxUrls);
  const std::string error = ErrorOf([&] { ParseUrls(list(1000, "amqp://u:hidden@last")); });
  EXPECT_NE(error.find("more than"), std::string::npos) << error;
  EXPECT_EQ(error.find("hidden"), std::string::npos) << error;
  // 1000 commas and nothing else, and one huge item: refused, quickly, without echoing.
  EXPECT_THROW(ParseUrls(std::string(1000, ',')), std::invalid_argument);
  const std::string huge = "amqp://u:hidden@" + std::string(100000, 'h') + ":0";
  EXPECT_EQ(ErrorOf([&] { ParseUrls(huge + "," + huge); }).find("hidden"), std::string::npos);
}

TEST(Options, ValidateTakesAList) {
  ConnectionOptions o;
  o.url = "amqp://u:p@h1:5801/, amqp://u:p@h2:5802/";
  EXPECT_NO_THROW(o.Validate());
  o.url = "amqp://u:p@h1:5801/,";
  EXPECT_THROW(o.Validate(), std::invalid_argument);
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
