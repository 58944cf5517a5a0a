// The gateway and the broker: the read model fed by order events from the `orders`
// exchange, and orders taken while the broker is unreachable (published once it is back).
// The broker is taken away from the gateway alone by a TCP proxy, so the shared test node
// keeps running for everyone else.
#include <gtest/gtest.h>

#include <Poco/URI.h>

#include "choreo/amqp/amqp.hpp"
#include "choreo/contracts/events.hpp"
#include "choreo/contracts/time.hpp"
#include "choreo/contracts/validation.hpp"
#include "choreo/gateway/gateway.hpp"
#include "choreo/outbox/outbox.hpp"
#include "choreo/testing/tcp_proxy.hpp"
#include "choreo/testing/test_database.hpp"
#include "choreo/testing/testing.hpp"
#include "gateway_rig.hpp"
#include "http_client.hpp"

namespace choreo::gateway {
namespace {

using namespace ::choreo::gateway::testing;
using namespace std::chrono_literals;
using nlohmann::json;
using ::choreo::testing::TcpProxy;

class GatewayBrokerTest : public VhostPerSuite<GatewayBrokerTest> {
 public:
  static constexpr const char* kVhostPrefix = "gwbroker";

 protected:
  void SetUp() override {
    db_ = std::make_unique<TestDatabase>(DbKind::kSqlite, "gwbroker");
    connection_ = std::make_unique<amqp::Connection>(amqp::ConnectionOptions{.url = vhost_->AmqpUrl()});
    connection_->DeclareExchange(amqp::ExchangeSpec{.name = "orders", .type = "topic"});
  }

  std::unique_ptr<Gateway> StartGateway(const std::string& amqp_url) {
    return testing::StartGateway(amqp_url, db_->Url());
  }

  // The vhost's URL with the broker's host and port replaced by the proxy's.
  static std::string ThroughProxy(std::uint16_t proxy_port) {
    amqp::AmqpUrl url = amqp::ParseUrl(::choreo::testing::RequireEnv("CHOREO_TEST_AMQP_URL"));
    std::string user, password;
    Poco::URI::encode(url.user, ":@/%", user);
    Poco::URI::encode(url.password, ":@/%", password);
    return "amqp://" + user + ":" + password + "@127.0.0.1:" + std::to_string(proxy_port) + "/" +
           ::choreo::testing::UrlEncode(vhost_->Name());
  }

  static std::uint16_t BrokerPort() {
    return amqp::ParseUrl(::choreo::testing::RequireEnv("CHOREO_TEST_AMQP_URL")).port;
  }

  void Publish(const contracts::Envelope& envelope) {
    if (!publisher_) publisher_ = std::make_unique<amqp::Publisher>(*connection_);
    amqp::Message message{.body = contracts::Serialize(envelope),
                          .message_id = envelope.message_id,
                          .content_type = "application/json",
                          .correlation_id = envelope.correlation_id,
                          .type = envelope.type,
                          .app_id = envelope.producer};
    publisher_->Publish("orders", envelope.type, message);
    auto results = publisher_->WaitForConfirms(10s);
    ASSERT_EQ(results.size(), 1u);
    ASSERT_EQ(results[0].outcome, amqp::PublishOutcome::kConfirmed) << results[0].reply_text;
  }

  static contracts::OrderStatusChanged Changed(const std::string& order, std::int64_t sequence,
                                               std::optional<contracts::OrderStatus> from, contracts::OrderStatus to) {
    contracts::OrderStatusChanged event;
    event.order_id = order;
    event.sequence = sequence;
    event.from = from;
    event.to = to;
    event.at = contracts::NowRfc3339();
    return event;
  }

  static int ReadyStatus(std::uint16_t port) { return Request(port, "GET", "/readyz").status; }

  // Whether the order at `path` gets `entries` history entries within 30 s; `order` is
  // what was read last.
  static ::testing::AssertionResult HistoryReaches(std::uint16_t port, const std::string& path, std::size_t entries,
                                                   json& order) {
    const bool reached = WaitFor(
        [&] {
          order = Request(port, "GET", path).Json();
          return order.at("history").size() == entries;
        },
        30s, 50ms);
    if (reached) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << order.dump();
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<amqp::Connection> connection_;
  std::unique_ptr<amqp::Publisher> publisher_;
};

TEST_F(GatewayBrokerTest, ReadModelFollowsStatusEventsAndIgnoresStaleOnes) {
  using contracts::OrderStatus;
  auto gateway = StartGateway(vhost_->AmqpUrl());
  ASSERT_TRUE(gateway->WaitUntilConsuming(30s));
  HttpResult placed = PostOrder(gateway->Port(), ExampleOrder());
  ASSERT_EQ(placed.status, 202);
  const std::string order_id = placed.Json().at("order_id");
  const std::string path = "/orders/" + order_id;

  auto reserved = Changed(order_id, 2, OrderStatus::kPlaced, OrderStatus::kReserved);
  reserved.total_minor = 2598;
  reserved.currency = "EUR";
  // Out of order: paid (3) overtakes reserved (2) and placed (1); reserved comes twice
  // (as a new message: the inbox only drops the same message id).
  Publish(contracts::MakeEnvelope(Changed(order_id, 3, OrderStatus::kReserved, OrderStatus::kPaid)));
  Publish(contracts::MakeEnvelope(reserved));
  Publish(contracts::MakeEnvelope(reserved));
  Publish(contracts::MakeEnvelope(Changed(order_id, 1, std::nullopt, OrderStatus::kPlaced)));

  json order;
  ASSERT_TRUE(HistoryReaches(gateway->Port(), path, 3, order));
  EXPECT_EQ(order.at("status"), "PAID");
  EXPECT_EQ(order.at("total_minor"), 2598);
  EXPECT_EQ(order.at("currency"), "EUR");
  EXPECT_TRUE(order.at("reason").is_null());
  std::vector<std::string> statuses;
  for (const auto& entry : order.at("history")) statuses.push_back(entry.at("status"));
  EXPECT_EQ(statuses, (std::vector<std::string>{"PLACED", "RESERVED", "PAID"}));

  // Terminal: cancelled; nothing later moves it.
  auto cancelled = Changed(order_id, 4, OrderStatus::kPaid, OrderStatus::kCancelled);
  cancelled.reason = contracts::CancelReason::kShipmentRejected;
  Publish(contracts::MakeEnvelope(cancelled));
  contracts::OrderCancelled terminal;
  terminal.order_id = order_id;
  terminal.customer_id = "cust-42";
  terminal.reason = contracts::CancelReason::kShipmentRejected;
  terminal.cancelled_at = contracts::NowRfc3339();
  Publish(contracts::MakeEnvelope(terminal));
  Publish(contracts::MakeEnvelope(Changed(order_id, 5, OrderStatus::kCancelled, OrderStatus::kPaid)));
  ASSERT_TRUE(HistoryReaches(gateway->Port(), path, 5, order));
  EXPECT_EQ(order.at("status"), "CANCELLED");
  EXPECT_EQ(order.at("reason"), "shipment_rejected");

  // An order this gateway never took (another replica's) appears from its events alone.
  const std::string foreign = contracts::NewUuid();
  contracts::OrderConfirmed confirmed;
  confirmed.order_id = foreign;
  confirmed.customer_id = "cust-7";
  confirmed.total_minor = 100;
  confirmed.currency = "EUR";
  confirmed.shipment_id = "shp-1";
  confirmed.confirmed_at = contracts::NowRfc3339();
  Publish(contracts::MakeEnvelope(confirmed));
  ASSERT_TRUE(WaitFor([&] { return Request(gateway->Port(), "GET", "/orders/" + foreign).status == 200; }, 30s, 50ms));
  EXPECT_EQ(Request(gateway->Port(), "GET", "/orders/" + foreign).Json().at("status"), "CONFIRMED");
}

TEST_F(GatewayBrokerTest, ReadinessIs503WhenTheBrokerIsUnreachable) {
  // Nothing listens on port 1.
  auto gateway = StartGateway("amqp://guest:guest@127.0.0.1:1/");
  HttpResult ready = Request(gateway->Port(), "GET", "/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(ready.Header("content-type"), "application/problem+json");
  EXPECT_EQ(ready.Json().at("checks").at("broker"), "down");
  EXPECT_EQ(ready.Json().at("checks").at("store"), "up");
  EXPECT_EQ(Request(gateway->Port(), "GET", "/healthz").status, 200);
}

TEST_F(GatewayBrokerTest, OrdersAreAcceptedWhileTheBrokerIsDownAndPublishedWhenItReturns) {
  TcpProxy proxy("127.0.0.1", BrokerPort());  // starts closed: the broker is "down"
  auto gateway = StartGateway(ThroughProxy(proxy.Port()));
  const std::uint16_t port = gateway->Port();
  auto consumer = PlacedConsumer(*connection_);

  HttpResult first = PostOrder(port, ExampleOrder());
  ASSERT_EQ(first.status, 202) << first.body;
  const std::string first_id = first.Json().at("order_id");
  EXPECT_EQ(outbox::Status(gateway->Store()).pending, 1);
  EXPECT_EQ(ReadyStatus(port), 503);

  proxy.Open();
  EXPECT_TRUE(ReceivePlaced(*consumer, first_id, 60s).has_value())
      << "order.placed not published after the broker returned";
  EXPECT_TRUE(WaitFor([&] { return ReadyStatus(port) == 200; }, 60s, 100ms));
  EXPECT_TRUE(WaitFor([&] { return outbox::Status(gateway->Store()).pending == 0; }, 30s, 50ms));

  // The broker goes away under a running gateway: the same again.
  proxy.Close();
  EXPECT_TRUE(WaitFor([&] { return ReadyStatus(port) == 503; }, 60s, 100ms));
  HttpResult second = PostOrder(port, ExampleOrder());
  ASSERT_EQ(second.status, 202) << second.body;
  const std::string second_id = second.Json().at("order_id");
  proxy.Open();
  EXPECT_TRUE(ReceivePlaced(*consumer, second_id, 60s).has_value());
  EXPECT_TRUE(WaitFor([&] { return ReadyStatus(port) == 200; }, 60s, 100ms));
}

}  // namespace
}  // namespace choreo::gateway
