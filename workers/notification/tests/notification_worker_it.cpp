// The notification worker in-process against a real broker, store and the provider
// stand-in (also in-process, on an ephemeral port).
#include "choreo/contracts/dead_letter.hpp"
#include "choreo/contracts/events.hpp"
#include "choreo/contracts/time.hpp"
#include "choreo/notification/notification.hpp"
#include "choreo/provider/server.hpp"
#include "choreo/testing/worker_fixture.hpp"

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

class NotificationWorkerIt : public testing::WorkerFixture<> {
 protected:
  void SetUp() override {
    provider_db_ = std::make_unique<testing::TestDatabase>(testing::DbKind::kSqlite, "provider");
    provider_ = std::make_unique<provider::ProviderServer>(
        provider::ProviderServerOptions{.port = 0, .store_url = provider_db_->Url()});
    provider_->Start();

    OpenRig("notification", testing::DbKind::kSqlite);
    NotificationConfig config;
    config.provider_client.base_url = provider_->BaseUrl();
    config.provider_client.timeout = 2s;
    ASSERT_TRUE(worker_.Start(RigOptions("notification"), [&](worker::Worker& w) { Register(w, config); }));
    probe_->Observe("notifications");
  }

  void TearDown() override {
    worker_.Stop();
    if (provider_) provider_->Stop();
  }

  template <contracts::Event E>
  Envelope Publish(const E& event) {
    return probe_->Publish(event);
  }

  // Everything emitted before the answer to a fresh marker order.
  std::vector<Envelope> DrainUntilMarker() {
    return probe_->DrainUntilAnswered(Confirmed("marker-" + contracts::NewUuid()), 30s);
  }

  nlohmann::json ProviderRequest(const std::string& method, const std::string& path, const std::string& body = "") {
    return testing::ProviderRequest(provider_->BaseUrl(), method, path, body);
  }

  std::vector<nlohmann::json> EmailsOf(const std::string& order_id) {
    return testing::LedgerRows(provider_->BaseUrl(), "emails", "order_id", order_id);
  }

  std::unique_ptr<testing::TestDatabase> provider_db_;
  std::unique_ptr<provider::ProviderServer> provider_;
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

  const std::optional<amqp::Delivery> dead = probe_->AwaitMessage("notification.dlq", 20s);
  ASSERT_TRUE(dead.has_value());
  EXPECT_EQ(dead->message.headers.GetString(dl::kErrorClass), std::string(dl::kPermanentError));
  EXPECT_EQ(worker_->Stats().retried, 0u);
  EXPECT_TRUE(DrainUntilMarker().empty());
}

}  // namespace
}  // namespace choreo::notification
