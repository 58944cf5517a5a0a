// The notification worker in-process against a real broker, store and the provider
// stand-in (also in-process, on an ephemeral port).
#include <gtest/gtest.h>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <sstream>
#include <thread>

#include "choreo/amqp/connection.hpp"
#include "choreo/amqp/publisher.hpp"
#include "choreo/contracts/dead_letter.hpp"
#include "choreo/contracts/events.hpp"
#include "choreo/contracts/time.hpp"
#include "choreo/contracts/validation.hpp"
#include "choreo/notification/notification.hpp"
#include "choreo/provider/server.hpp"
#include "choreo/testing/test_database.hpp"
#include "choreo/testing/testing.hpp"

namespace choreo::notification {
namespace {

using namespace std::chrono_literals;
using contracts::Envelope;
namespace dl = contracts::dead_letter;

contracts::OrderConfirmed Confirmed(const std::string& order_id) {
  return {.order_id = order_id, .customer_id = "cust-1001", .total_minor = 3399, .currency = "EUR",
          .shipment_id = "shp-1", .confirmed_at = contracts::NowRfc3339()};
}

contracts::OrderCancelled Cancelled(const std::string& order_id) {
  return {.order_id = order_id, .customer_id = "cust-1002", .reason = contracts::CancelReason::kPaymentDeclined,
          .details = "card_declined", .cancelled_at = contracts::NowRfc3339()};
}

class NotificationWorkerIt : public ::testing::Test {
 protected:
  void SetUp() override {
    provider_db_ = std::make_unique<testing::TestDatabase>(testing::DbKind::kSqlite, "provider");
    provider_ = std::make_unique<provider::ProviderServer>(
        provider::ProviderServerOptions{.port = 0, .store_url = provider_db_->Url()});
    provider_->Start();

    vhost_ = std::make_unique<testing::TestVhost>("notification");
    db_ = std::make_unique<testing::TestDatabase>(testing::DbKind::kSqlite, "notification");
    amqp_ = std::make_unique<amqp::Connection>(amqp::ConnectionOptions{.url = vhost_->AmqpUrl()});
    publisher_ = std::make_unique<amqp::Publisher>(*amqp_);
    worker_ = std::make_unique<worker::Worker>(
        worker::WorkerOptions{.name = "notification", .amqp_url = vhost_->AmqpUrl(), .store_url = db_->Url()});
    NotificationConfig config;
    config.provider_client.base_url = provider_->BaseUrl();
    config.provider_client.timeout = 2s;
    Register(*worker_, config);
    thread_ = std::thread([this] { worker_->Run(); });
    ASSERT_TRUE(worker_->WaitUntilReady(30s));
    observe_ = testing::UniqueName("observe-notification");
    amqp_->DeclareQueue(amqp::QueueSpec::Quorum(observe_));
    amqp_->Bind({.queue = observe_, .exchange = "notifications", .routing_key = "#"});
  }

  void TearDown() override {
    if (worker_) worker_->Stop();
    if (thread_.joinable()) thread_.join();
    if (provider_) provider_->Stop();
  }

  template <contracts::Event E>
  Envelope Publish(const E& event) {
    Envelope env = contracts::MakeEnvelope(event);
    amqp::Message m{.body = contracts::Serialize(env), .message_id = env.message_id,
                    .content_type = "application/json", .type = env.type};
    publisher_->Publish(std::string(E::kExchange), env.type, m);
    auto results = publisher_->WaitForConfirms(10s);
    EXPECT_EQ(results.size(), 1u);
    for (const auto& result : results) EXPECT_EQ(result.outcome, amqp::PublishOutcome::kConfirmed);
    return env;
  }

  // Everything emitted before the answer to a fresh marker order: the relay publishes in
  // commit order, so nothing emitted earlier can still be on its way after it.
  std::vector<Envelope> DrainUntilMarker() {
    const std::string marker = "marker-" + contracts::NewUuid();
    Publish(Confirmed(marker));
    std::vector<Envelope> out;
    bool seen = false;
    testing::WaitFor(
        [&] {
          while (auto d = amqp_->Get(observe_, true)) {
            Envelope env = contracts::ParseAndValidate(d->message.body);
            if (env.correlation_id == marker) {
              seen = true;
            } else {
              out.push_back(std::move(env));
            }
          }
          return seen;
        },
        30s, 20ms);
    EXPECT_TRUE(seen) << "marker order never mailed";
    return out;
  }

  nlohmann::json ProviderRequest(const std::string& method, const std::string& path, const std::string& body = "") {
    Poco::Net::HTTPClientSession session("127.0.0.1", provider_->Port());
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentType("application/json");
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    std::string text;
    Poco::StreamCopier::copyToString(in, text);
    EXPECT_LT(static_cast<int>(response.getStatus()), 300) << text;
    return nlohmann::json::parse(text);
  }

  std::vector<nlohmann::json> EmailsOf(const std::string& order_id) {
    std::vector<nlohmann::json> emails;
    const nlohmann::json ledger = ProviderRequest("GET", "/v1/ledger");
    for (const auto& email : ledger["emails"]) {
      if (email.value("order_id", "") == order_id) emails.push_back(email);
    }
    return emails;
  }

  std::unique_ptr<testing::TestDatabase> provider_db_;
  std::unique_ptr<provider::ProviderServer> provider_;
  std::unique_ptr<testing::TestVhost> vhost_;
  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<amqp::Connection> amqp_;
  std::unique_ptr<amqp::Publisher> publisher_;
  std::unique_ptr<worker::Worker> worker_;
  std::thread thread_;
  std::string observe_;
};

TEST_F(NotificationWorkerIt, ConfirmedOrderIsMailedOnceEvenWhenTheEventRepeats) {
  const std::string order = contracts::NewUuid();
  const Envelope first = Publish(Confirmed(order));
  Publish(Confirmed(order));  // the same business event under a new message id
  const std::vector<Envelope> out = DrainUntilMarker();

  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, "notification.sent");
  EXPECT_EQ(out[0].causation_id, first.message_id);
  const auto sent = contracts::PayloadAs<contracts::NotificationSent>(out[0]);
  EXPECT_EQ(sent.order_id, order);
  EXPECT_EQ(sent.kind, contracts::NotificationKind::kOrderConfirmed);
  EXPECT_EQ(sent.customer_id, "cust-1001");

  const auto emails = EmailsOf(order);
  ASSERT_EQ(emails.size(), 1u);
  EXPECT_EQ(emails[0]["email_id"], sent.provider_message_id);
  EXPECT_EQ(emails[0]["to"], "cust-1001@customers.choreo.example");
  EXPECT_EQ(emails[0]["template"], "order_confirmed");
}

TEST_F(NotificationWorkerIt, CancelledOrderIsMailedWithItsOwnKind) {
  const std::string order = contracts::NewUuid();
  Publish(Cancelled(order));
  const std::vector<Envelope> out = DrainUntilMarker();
  ASSERT_EQ(out.size(), 1u);
  const auto sent = contracts::PayloadAs<contracts::NotificationSent>(out[0]);
  EXPECT_EQ(sent.kind, contracts::NotificationKind::kOrderCancelled);
  EXPECT_EQ(sent.customer_id, "cust-1002");
  const auto emails = EmailsOf(order);
  ASSERT_EQ(emails.size(), 1u);
  EXPECT_EQ(emails[0]["template"], "order_cancelled");
  EXPECT_EQ(emails[0]["to"], "cust-1002@customers.choreo.example");
}

TEST_F(NotificationWorkerIt, UnavailableProviderIsRetriedUntilTheMailGoesOut) {
  ProviderRequest("POST", "/v1/faults", R"({"burst_5xx": 1})");
  const std::string order = contracts::NewUuid();
  Publish(Confirmed(order));
  // The first retry waits 1 s in the retry queue.
  ASSERT_TRUE(testing::WaitFor([&] { return worker_->Stats().handled == 1; }, 20s));
  EXPECT_EQ(worker_->Stats().retried, 1u);
  EXPECT_EQ(worker_->Stats().dead_lettered, 0u);
  EXPECT_EQ(EmailsOf(order).size(), 1u);
  const std::vector<Envelope> out = DrainUntilMarker();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, "notification.sent");
}

TEST_F(NotificationWorkerIt, RejectedMailIsDeadLetteredAtOnce) {
  const std::string order = contracts::NewUuid();
  // Someone already used this order's key for other content: the provider refuses ours.
  provider::ProviderClient client({.base_url = provider_->BaseUrl()});
  client.SendEmail(IdempotencyKey(order, contracts::NotificationKind::kOrderConfirmed), "x@y.example",
                   "order_confirmed", order, "other", "other");
  Publish(Confirmed(order));

  std::optional<amqp::Delivery> dead;
  ASSERT_TRUE(testing::WaitFor([&] { return (dead = amqp_->Get("notification.dlq", true)).has_value(); }, 20s, 20ms));
  EXPECT_EQ(dead->message.headers.GetString(dl::kErrorClass), std::string(dl::kPermanentError));
  EXPECT_EQ(worker_->Stats().retried, 0u);
  EXPECT_TRUE(DrainUntilMarker().empty());
}

}  // namespace
}  // namespace choreo::notification
