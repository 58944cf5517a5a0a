// The payment worker in-process against the test broker and an in-process provider
// stand-in: what it emits is read from a queue bound to the payments exchange, what it
// did at the provider from the provider's ledger.
#include <gtest/gtest.h>

#include <thread>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/URI.h>
#include <nlohmann/json.hpp>

#include "choreo/amqp/connection.hpp"
#include "choreo/amqp/publisher.hpp"
#include "choreo/contracts/dead_letter.hpp"
#include "choreo/contracts/events.hpp"
#include "choreo/contracts/time.hpp"
#include "choreo/contracts/validation.hpp"
#include "choreo/payment/payment.hpp"
#include "choreo/provider/server.hpp"
#include "choreo/testing/test_database.hpp"
#include "choreo/testing/testing.hpp"
#include "choreo/worker/worker.hpp"

namespace choreo::payment {
namespace {

using namespace std::chrono_literals;

contracts::InventoryReserved Reserved(std::string token, std::int64_t total = 3399) {
  const std::string order_id = contracts::NewUuid();
  return {.order_id = order_id,
          .reservation_id = "res-" + order_id,
          .lines = {{.sku = "sku-001", .quantity = 1, .unit_price_minor = total}},
          .total_minor = total,
          .currency = "EUR",
          .expires_at = contracts::FormatRfc3339(std::chrono::system_clock::now() + 5min),
          .payment = {.method = contracts::PaymentMethod::kCard, .token = std::move(token)}};
}

contracts::InventoryReleased Released(const contracts::InventoryReserved& r, contracts::ReleaseReason reason) {
  return {.order_id = r.order_id, .reservation_id = r.reservation_id, .reason = reason,
          .lines = {{.sku = "sku-001", .quantity = 1}}, .released_at = contracts::NowRfc3339()};
}

contracts::ShipmentRejected ShipmentRejected(const contracts::InventoryReserved& r) {
  return {.order_id = r.order_id, .reservation_id = r.reservation_id, .details = "not served",
          .rejected_at = contracts::NowRfc3339()};
}

class PaymentIt : public ::testing::TestWithParam<testing::DbKind> {
 protected:
  void SetUp() override {
    vhost_ = std::make_unique<testing::TestVhost>("payment");
    db_ = std::make_unique<testing::TestDatabase>(GetParam(), "payment");
    provider_db_ = std::make_unique<testing::TestDatabase>(testing::DbKind::kSqlite, "provider");
    provider_ = std::make_unique<provider::ProviderServer>(
        provider::ProviderServerOptions{.port = 0, .store_url = provider_db_->Url(), .flaky_failures = 2});
    provider_->Start();
    amqp_ = std::make_unique<amqp::Connection>(amqp::ConnectionOptions{.url = vhost_->AmqpUrl()});
    publisher_ = std::make_unique<amqp::Publisher>(*amqp_);
  }

  void TearDown() override {
    if (worker_) {
      worker_->Stop();
      if (thread_.joinable()) thread_.join();
    }
    provider_->Stop();
  }

  void StopWorker() {
    worker_->Stop();
    thread_.join();
  }

  void StartWorker(std::string provider_url = {}) {
    worker_ = std::make_unique<worker::Worker>(worker::WorkerOptions{
        .name = "payment", .amqp_url = vhost_->AmqpUrl(), .store_url = db_->Url(), .http_port = -1});
    Register(*worker_, std::make_shared<provider::ProviderClient>(provider::ProviderClientOptions{
                           .base_url = provider_url.empty() ? provider_->BaseUrl() : provider_url,
                           .timeout = 5s}));
    thread_ = std::thread([this] { worker_->Run(); });
    ASSERT_TRUE(worker_->WaitUntilReady(30s));
    observe_ = testing::UniqueName("observe-payments");
    amqp_->DeclareQueue(amqp::QueueSpec::Quorum(observe_));
    amqp_->Bind({.queue = observe_, .exchange = "payments", .routing_key = "#"});
  }

  template <contracts::Event E>
  void Publish(const E& event) {
    contracts::Envelope env = contracts::MakeEnvelope(event);
    amqp::Message m{.body = contracts::Serialize(env), .message_id = env.message_id,
                    .content_type = "application/json", .type = env.type};
    publisher_->Publish(std::string(E::kExchange), std::string(E::kType), m);
    auto results = publisher_->WaitForConfirms(10s);
    ASSERT_EQ(results.size(), 1u);
    ASSERT_EQ(results[0].outcome, amqp::PublishOutcome::kConfirmed);
  }

  template <contracts::Event E>
  std::vector<E> Seen(const std::string& order_id) {
    while (auto d = amqp_->Get(observe_, true)) seen_.push_back(contracts::ParseAndValidate(d->message.body));
    std::vector<E> out;
    for (const auto& env : seen_) {
      if (env.type == E::kType && env.correlation_id == order_id) out.push_back(contracts::PayloadAs<E>(env));
    }
    return out;
  }

  template <contracts::Event E>
  E Await(const std::string& order_id, std::chrono::milliseconds timeout = 15s) {
    std::vector<E> got;
    testing::WaitFor([&] { return !(got = Seen<E>(order_id)).empty(); }, timeout, 20ms);
    if (got.empty()) {
      ADD_FAILURE() << "no " << E::kType << " for order " << order_id;
      return E{};
    }
    return got.front();
  }

  std::size_t EventsFor(const std::string& order_id) {
    Seen<contracts::PaymentCaptured>(order_id);
    return std::count_if(seen_.begin(), seen_.end(), [&](const auto& e) { return e.correlation_id == order_id; });
  }

  // A fresh order charged through the whole pipeline. The worker handles its queue in
  // order and the relay publishes in commit order, so once its capture is seen, whatever
  // earlier messages emitted has been seen too: "nothing else happened" without a sleep.
  void Barrier() {
    auto r = Reserved("tok_ok");
    Publish(r);
    Await<contracts::PaymentCaptured>(r.order_id);
  }

  nlohmann::json Ledger() {
    Poco::URI uri(provider_->BaseUrl());
    Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, "/v1/ledger", Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::istream& body = session.receiveResponse(response);
    EXPECT_EQ(response.getStatus(), Poco::Net::HTTPResponse::HTTP_OK);
    return nlohmann::json::parse(body);
  }

  // Ledger rows (of "charges" or "refunds") whose idempotency key is `key`.
  std::vector<nlohmann::json> LedgerRows(const std::string& table, const std::string& key) {
    std::vector<nlohmann::json> rows;
    const nlohmann::json ledger = Ledger();
    for (const auto& row : ledger.at(table)) {
      if (row.value("idempotency_key", "") == key) rows.push_back(row);
    }
    return rows;
  }

  std::unique_ptr<testing::TestVhost> vhost_;
  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<testing::TestDatabase> provider_db_;
  std::unique_ptr<provider::ProviderServer> provider_;
  std::unique_ptr<amqp::Connection> amqp_;
  std::unique_ptr<amqp::Publisher> publisher_;
  std::unique_ptr<worker::Worker> worker_;
  std::thread thread_;
  std::string observe_;
  std::vector<contracts::Envelope> seen_;
};

TEST_P(PaymentIt, ChargesTheTotalOnceAndAnnouncesTheCapture) {
  StartWorker();
  auto r = Reserved("tok_ok", 4242);
  Publish(r);
  auto captured = Await<contracts::PaymentCaptured>(r.order_id);
  EXPECT_EQ(captured.reservation_id, r.reservation_id);
  EXPECT_EQ(captured.amount_minor, 4242);
  EXPECT_EQ(captured.currency, "EUR");
  auto charges = LedgerRows("charges", "charge:" + r.order_id);
  ASSERT_EQ(charges.size(), 1u);
  EXPECT_EQ(charges[0]["charge_id"], captured.payment_id);
  EXPECT_EQ(charges[0]["amount_minor"], 4242);
  EXPECT_EQ(charges[0]["status"], "captured");

  // The same reservation announced again: no second charge, nothing new emitted.
  Publish(r);
  Barrier();
  EXPECT_EQ(EventsFor(r.order_id), 1u);
  EXPECT_EQ(LedgerRows("charges", "charge:" + r.order_id).size(), 1u);
}

TEST_P(PaymentIt, DeclineIsAnnouncedAndNeverRefunded) {
  StartWorker();
  auto r = Reserved("tok_decline");
  Publish(r);
  auto declined = Await<contracts::PaymentDeclined>(r.order_id);
  EXPECT_EQ(declined.reservation_id, r.reservation_id);
  EXPECT_EQ(declined.amount_minor, r.total_minor);
  EXPECT_EQ(declined.reason, "card_declined");

  Publish(Released(r, contracts::ReleaseReason::kPaymentDeclined));
  Publish(Released(r, contracts::ReleaseReason::kExpired));
  Publish(ShipmentRejected(r));
  Barrier();
  EXPECT_EQ(EventsFor(r.order_id), 1u);
  EXPECT_TRUE(LedgerRows("refunds", "refund:" + r.order_id).empty());
}

TEST_P(PaymentIt, FlakyProviderIsRetriedIntoExactlyOneCharge) {
  StartWorker();
  auto r = Reserved("tok_flaky");
  Publish(r);
  // Two 503s, retried after 1 s and 4 s.
  auto captured = Await<contracts::PaymentCaptured>(r.order_id, 30s);
  EXPECT_EQ(captured.amount_minor, r.total_minor);
  EXPECT_GE(worker_->Stats().retried, 2u);
  auto charges = LedgerRows("charges", "charge:" + r.order_id);
  ASSERT_EQ(charges.size(), 1u);
  EXPECT_EQ(charges[0]["charge_id"], captured.payment_id);
}

TEST_P(PaymentIt, ShipmentRejectionRefundsTheCaptureOnce) {
  StartWorker();
  auto r = Reserved("tok_ok");
  Publish(r);
  auto captured = Await<contracts::PaymentCaptured>(r.order_id);
  Publish(ShipmentRejected(r));
  auto refunded = Await<contracts::PaymentRefunded>(r.order_id);
  EXPECT_EQ(refunded.payment_id, captured.payment_id);
  EXPECT_EQ(refunded.amount_minor, r.total_minor);
  EXPECT_EQ(refunded.currency, "EUR");
  EXPECT_EQ(refunded.reason, contracts::RefundReason::kShipmentRejected);
  auto refunds = LedgerRows("refunds", "refund:" + r.order_id);
  ASSERT_EQ(refunds.size(), 1u);
  EXPECT_EQ(refunds[0]["refund_id"], refunded.refund_id);
  EXPECT_EQ(refunds[0]["charge_id"], captured.payment_id);

  // Asked again, and by the other trigger: the order is refunded already.
  Publish(ShipmentRejected(r));
  Publish(Released(r, contracts::ReleaseReason::kExpired));
  Barrier();
  EXPECT_EQ(Seen<contracts::PaymentRefunded>(r.order_id).size(), 1u);
  EXPECT_EQ(LedgerRows("refunds", "refund:" + r.order_id).size(), 1u);
}

TEST_P(PaymentIt, ExpiryAfterCaptureRefundsOnce) {
  StartWorker();
  auto r = Reserved("tok_ok");
  Publish(r);
  auto captured = Await<contracts::PaymentCaptured>(r.order_id);
  Publish(Released(r, contracts::ReleaseReason::kExpired));
  auto refunded = Await<contracts::PaymentRefunded>(r.order_id);
  EXPECT_EQ(refunded.reason, contracts::RefundReason::kReservationExpired);
  EXPECT_EQ(refunded.payment_id, captured.payment_id);
  EXPECT_EQ(refunded.amount_minor, r.total_minor);

  Publish(Released(r, contracts::ReleaseReason::kExpired));
  Barrier();
  EXPECT_EQ(Seen<contracts::PaymentRefunded>(r.order_id).size(), 1u);
  EXPECT_EQ(LedgerRows("refunds", "refund:" + r.order_id).size(), 1u);
}

// Both events wait in the queue when the worker starts, so they share a batch: the
// refund's effect looks before the capture is committed and finds nothing to refund; its
// handler then sees the capture under the transaction and must not drop the refund.
TEST_P(PaymentIt, CaptureAndExpiryInOneBatchStillRefundOnce) {
  StartWorker();  // declares the queues
  StopWorker();
  auto r = Reserved("tok_ok");
  Publish(r);
  Publish(Released(r, contracts::ReleaseReason::kExpired));
  StartWorker();
  auto captured = Await<contracts::PaymentCaptured>(r.order_id);
  auto refunded = Await<contracts::PaymentRefunded>(r.order_id);
  EXPECT_EQ(refunded.payment_id, captured.payment_id);
  Barrier();
  EXPECT_EQ(Seen<contracts::PaymentRefunded>(r.order_id).size(), 1u);
  EXPECT_EQ(LedgerRows("charges", "charge:" + r.order_id).size(), 1u);
  EXPECT_EQ(LedgerRows("refunds", "refund:" + r.order_id).size(), 1u);
}

TEST_P(PaymentIt, ExpiryBeforeTheCaptureRefundsNothingUntilInventoryAnswersTheCapture) {
  StartWorker();
  auto r = Reserved("tok_ok");
  // The hold expired while payment had not charged yet: nothing to refund.
  Publish(Released(r, contracts::ReleaseReason::kExpired));
  Barrier();
  EXPECT_EQ(EventsFor(r.order_id), 0u);
  EXPECT_TRUE(Ledger()["refunds"].empty());

  // The charge goes through late; inventory answers the capture with released(expired)
  // again, and only now is there money to give back.
  Publish(r);
  Await<contracts::PaymentCaptured>(r.order_id);
  Publish(Released(r, contracts::ReleaseReason::kExpired));
  auto refunded = Await<contracts::PaymentRefunded>(r.order_id);
  EXPECT_EQ(refunded.reason, contracts::RefundReason::kReservationExpired);
  EXPECT_EQ(LedgerRows("refunds", "refund:" + r.order_id).size(), 1u);
}

TEST_P(PaymentIt, ProviderRejectionIsDeadLetteredAtOnce) {
  StartWorker();
  auto r = Reserved("tok_ok", /*total=*/0);  // the provider refuses to charge nothing
  Publish(r);
  std::optional<amqp::Delivery> dead;
  ASSERT_TRUE(testing::WaitFor([&] { return (dead = amqp_->Get("payment.dlq", true)).has_value(); }, 15s, 20ms));
  EXPECT_EQ(dead->message.headers.GetString(contracts::dead_letter::kErrorClass),
            std::string(contracts::dead_letter::kPermanentError));
  EXPECT_EQ(worker_->Stats().retried, 0u);
  EXPECT_EQ(EventsFor(r.order_id), 0u);
}

TEST_P(PaymentIt, UnreachableProviderIsRetriedNotDeclined) {
  // A port nothing listens on: the charge's outcome is unknown, so it must be retried
  // (with the same key), never turned into a decline.
  std::uint16_t closed_port = 0;
  {
    provider::ProviderServer probe({.port = 0, .store_url = provider_db_->Url()});
    closed_port = probe.Port();
  }
  StartWorker("http://127.0.0.1:" + std::to_string(closed_port));
  auto r = Reserved("tok_ok");
  Publish(r);
  ASSERT_TRUE(testing::WaitFor([&] { return worker_->Stats().retried >= 1; }, 15s));
  EXPECT_EQ(EventsFor(r.order_id), 0u);
}

INSTANTIATE_TEST_SUITE_P(Stores, PaymentIt, ::testing::Values(testing::DbKind::kSqlite, testing::DbKind::kPostgres),
                         [](const auto& info) { return testing::DbKindName(info.param); });

}  // namespace
}  // namespace choreo::payment
