// The payment worker in-process against the test broker and an in-process provider
// stand-in: what it emits is read from a queue bound to the payments exchange, what it
// did at the provider from the provider's ledger.
#include <nlohmann/json.hpp>

#include "choreo/contracts/dead_letter.hpp"
#include "choreo/contracts/events.hpp"
#include "choreo/contracts/time.hpp"
#include "choreo/payment/decisions.hpp"
#include "choreo/payment/payment.hpp"
#include "choreo/provider/server.hpp"
#include "choreo/testing/worker_fixture.hpp"

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

class PaymentIt : public testing::WorkerFixture<::testing::TestWithParam<testing::DbKind>> {
 protected:
  void SetUp() override {
    OpenRig("payment", GetParam());
    provider_db_ = std::make_unique<testing::TestDatabase>(testing::DbKind::kSqlite, "provider");
    provider_ = std::make_unique<provider::ProviderServer>(
        provider::ProviderServerOptions{.port = 0, .store_url = provider_db_->Url(), .flaky_failures = 2});
    provider_->Start();
  }

  void TearDown() override {
    worker_.Stop();
    provider_->Stop();
  }

  void StopWorker() { worker_.Stop(); }

  void StartWorker(std::string provider_url = {}) {
    auto client = std::make_shared<provider::ProviderClient>(provider::ProviderClientOptions{
        .base_url = provider_url.empty() ? provider_->BaseUrl() : provider_url, .timeout = 5s});
    ASSERT_TRUE(worker_.Start(RigOptions("payment"), [&](worker::Worker& w) { Register(w, client); }));
    probe_->Observe("payments");
  }

  // A fresh order charged through the whole pipeline. The worker handles its queue in
  // order and the relay publishes in commit order, so once its capture is seen, whatever
  // earlier messages emitted has been seen too: "nothing else happened" without a sleep.
  void Barrier() { Capture(Reserved("tok_ok")); }

  // Publishes `r` and waits for its capture.
  contracts::PaymentCaptured Capture(const contracts::InventoryReserved& r) {
    probe_->Publish(r);
    return probe_->Await<contracts::PaymentCaptured>(r.order_id);
  }

  // Publishes `trigger` and waits for the refund of its order.
  template <contracts::Event E>
  contracts::PaymentRefunded RefundAfter(const E& trigger) {
    probe_->Publish(trigger);
    return probe_->Await<contracts::PaymentRefunded>(trigger.order_id);
  }

  // Once everything published so far is handled: `r` was refunded once, in the events and
  // at the provider.
  void ExpectRefundedOnce(const contracts::InventoryReserved& r) {
    Barrier();
    EXPECT_EQ(probe_->Seen<contracts::PaymentRefunded>(r.order_id).size(), 1u);
    EXPECT_EQ(LedgerRows("refunds", "refund:" + r.order_id).size(), 1u);
  }

  nlohmann::json Ledger() { return testing::ProviderRequest(provider_->BaseUrl(), "GET", "/v1/ledger"); }

  // Ledger rows (of "charges" or "refunds") whose idempotency key is `key`.
  std::vector<nlohmann::json> LedgerRows(const std::string& table, const std::string& key) {
    return testing::LedgerRows(provider_->BaseUrl(), table, "idempotency_key", key);
  }

  // The one ledger row whose idempotency key is `key`; a failed test (and null) unless
  // there is exactly one.
  nlohmann::json OnlyLedgerRow(const std::string& table, const std::string& key) {
    const std::vector<nlohmann::json> rows = LedgerRows(table, key);
    EXPECT_EQ(rows.size(), 1u) << table << " with key " << key;
    return rows.size() == 1 ? rows[0] : nlohmann::json();
  }

  std::unique_ptr<testing::TestDatabase> provider_db_;
  std::unique_ptr<provider::ProviderServer> provider_;
};

TEST_P(PaymentIt, ChargesTheTotalOnceAndAnnouncesTheCapture) {
  StartWorker();
  auto r = Reserved("tok_ok", 4242);
  auto captured = Capture(r);
  EXPECT_EQ(captured.reservation_id, r.reservation_id);
  EXPECT_EQ(captured.amount_minor, 4242);
  EXPECT_EQ(captured.currency, "EUR");
  nlohmann::json charge = OnlyLedgerRow("charges", "charge:" + r.order_id);
  EXPECT_EQ(charge["charge_id"], captured.payment_id);
  EXPECT_EQ(charge["amount_minor"], 4242);
  EXPECT_EQ(charge["status"], "captured");

  // The same reservation announced again: no second charge, nothing new emitted.
  probe_->Publish(r);
  Barrier();
  EXPECT_EQ(probe_->EventsFor(r.order_id), 1u);
  EXPECT_EQ(LedgerRows("charges", "charge:" + r.order_id).size(), 1u);
}

TEST_P(PaymentIt, DeclineIsAnnouncedAndNeverRefunded) {
  StartWorker();
  auto r = Reserved("tok_decline");
  probe_->Publish(r);
  auto declined = probe_->Await<contracts::PaymentDeclined>(r.order_id);
  EXPECT_EQ(declined.reservation_id, r.reservation_id);
  EXPECT_EQ(declined.amount_minor, r.total_minor);
  EXPECT_EQ(declined.reason, "card_declined");

  probe_->Publish(Released(r, contracts::ReleaseReason::kPaymentDeclined));
  probe_->Publish(Released(r, contracts::ReleaseReason::kExpired));
  probe_->Publish(ShipmentRejected(r));
  Barrier();
  EXPECT_EQ(probe_->EventsFor(r.order_id), 1u);
  EXPECT_TRUE(LedgerRows("refunds", "refund:" + r.order_id).empty());
}

TEST_P(PaymentIt, FlakyProviderIsRetriedIntoExactlyOneCharge) {
  StartWorker();
  auto r = Reserved("tok_flaky");
  probe_->Publish(r);
  // Two 503s, retried after 1 s and 4 s.
  auto captured = probe_->Await<contracts::PaymentCaptured>(r.order_id, 1, 30s);
  EXPECT_EQ(captured.amount_minor, r.total_minor);
  EXPECT_GE(worker_->Stats().retried, 2u);
  nlohmann::json charge = OnlyLedgerRow("charges", "charge:" + r.order_id);
  EXPECT_EQ(charge["charge_id"], captured.payment_id);
}

TEST_P(PaymentIt, ShipmentRejectionRefundsTheCaptureOnce) {
  StartWorker();
  auto r = Reserved("tok_ok");
  auto captured = Capture(r);
  auto refunded = RefundAfter(ShipmentRejected(r));
  EXPECT_EQ(refunded.payment_id, captured.payment_id);
  EXPECT_EQ(refunded.amount_minor, r.total_minor);
  EXPECT_EQ(refunded.currency, "EUR");
  EXPECT_EQ(refunded.reason, contracts::RefundReason::kShipmentRejected);
  nlohmann::json refund = OnlyLedgerRow("refunds", "refund:" + r.order_id);
  EXPECT_EQ(refund["refund_id"], refunded.refund_id);
  EXPECT_EQ(refund["charge_id"], captured.payment_id);

  // Asked again, and by the other trigger: the order is refunded already.
  probe_->Publish(ShipmentRejected(r));
  probe_->Publish(Released(r, contracts::ReleaseReason::kExpired));
  ExpectRefundedOnce(r);
}

TEST_P(PaymentIt, ExpiryAfterCaptureRefundsOnce) {
  StartWorker();
  auto r = Reserved("tok_ok");
  auto captured = Capture(r);
  auto refunded = RefundAfter(Released(r, contracts::ReleaseReason::kExpired));
  EXPECT_EQ(refunded.reason, contracts::RefundReason::kReservationExpired);
  EXPECT_EQ(refunded.payment_id, captured.payment_id);
  EXPECT_EQ(refunded.amount_minor, r.total_minor);

  probe_->Publish(Released(r, contracts::ReleaseReason::kExpired));
  ExpectRefundedOnce(r);
}

// Both events wait in the queue when the worker starts, so they share a batch: the
// refund's effect looks before the capture is committed and finds nothing to refund; its
// handler then sees the capture under the transaction and must not drop the refund.
TEST_P(PaymentIt, CaptureAndExpiryInOneBatchStillRefundOnce) {
  StartWorker();  // declares the queues
  StopWorker();
  auto r = Reserved("tok_ok");
  probe_->Publish(r);
  probe_->Publish(Released(r, contracts::ReleaseReason::kExpired));
  StartWorker();
  auto captured = probe_->Await<contracts::PaymentCaptured>(r.order_id);
  auto refunded = probe_->Await<contracts::PaymentRefunded>(r.order_id);
  EXPECT_EQ(refunded.payment_id, captured.payment_id);
  ExpectRefundedOnce(r);
  EXPECT_EQ(LedgerRows("charges", "charge:" + r.order_id).size(), 1u);
}

TEST_P(PaymentIt, ExpiryBeforeTheCaptureRefundsNothingUntilInventoryAnswersTheCapture) {
  StartWorker();
  auto r = Reserved("tok_ok");
  // The hold expired while payment had not charged yet: nothing to refund.
  probe_->Publish(Released(r, contracts::ReleaseReason::kExpired));
  Barrier();
  EXPECT_EQ(probe_->EventsFor(r.order_id), 0u);
  EXPECT_TRUE(Ledger()["refunds"].empty());

  // The charge goes through late; inventory answers the capture with released(expired)
  // again, and only now is there money to give back.
  Capture(r);
  auto refunded = RefundAfter(Released(r, contracts::ReleaseReason::kExpired));
  EXPECT_EQ(refunded.reason, contracts::RefundReason::kReservationExpired);
  EXPECT_EQ(LedgerRows("refunds", "refund:" + r.order_id).size(), 1u);
}

// The charge went through at the provider but payment never recorded the answer (killed
// before its commit, or inventory.reserved dead-lettered after a capture): the worker
// never heard of it. The expiry must find that money and give it back, once.
TEST_P(PaymentIt, ExpiryRefundsACaptureThePaymentWorkerNeverRecorded) {
  StartWorker();
  auto r = Reserved("tok_ok", 2500);
  provider::ProviderClient direct(provider::ProviderClientOptions{.base_url = provider_->BaseUrl()});
  const provider::ChargeResult charge =
      direct.Charge(ChargeKey(r.order_id), r.order_id, r.total_minor, r.currency, r.payment.token);
  ASSERT_TRUE(charge.Captured());

  auto refunded = RefundAfter(Released(r, contracts::ReleaseReason::kExpired));
  EXPECT_EQ(refunded.reason, contracts::RefundReason::kReservationExpired);
  EXPECT_EQ(refunded.payment_id, charge.charge_id);
  EXPECT_EQ(refunded.amount_minor, 2500);
  EXPECT_EQ(refunded.currency, "EUR");
  nlohmann::json refund = OnlyLedgerRow("refunds", "refund:" + r.order_id);
  EXPECT_EQ(refund["refund_id"], refunded.refund_id);
  EXPECT_EQ(refund["charge_id"], charge.charge_id);
  EXPECT_EQ(refund["amount_minor"], 2500);

  // The dead-lettered inventory.reserved replayed, and the expiry again: the charge is on
  // record now, refunded; no capture is announced and nothing is refunded twice.
  probe_->Publish(r);
  probe_->Publish(Released(r, contracts::ReleaseReason::kExpired));
  Barrier();
  EXPECT_EQ(probe_->EventsFor(r.order_id), 1u);
  EXPECT_TRUE(probe_->Seen<contracts::PaymentCaptured>(r.order_id).empty());
  EXPECT_EQ(LedgerRows("charges", "charge:" + r.order_id).size(), 1u);
  EXPECT_EQ(LedgerRows("refunds", "refund:" + r.order_id).size(), 1u);
}

// A failed look-up means "unknown", never "nothing charged": it is retried.
TEST_P(PaymentIt, FailedChargeLookUpIsRetriedNotTakenForNoCharge) {
  StartWorker();
  auto r = Reserved("tok_ok");
  provider::ProviderClient direct(provider::ProviderClientOptions{.base_url = provider_->BaseUrl()});
  const provider::ChargeResult charge =
      direct.Charge(ChargeKey(r.order_id), r.order_id, r.total_minor, r.currency, r.payment.token);
  testing::ProviderRequest(provider_->BaseUrl(), "POST", "/v1/faults", R"({"burst_5xx":1})");
  probe_->Publish(Released(r, contracts::ReleaseReason::kExpired));
  auto refunded = probe_->Await<contracts::PaymentRefunded>(r.order_id, 1, 20s);
  EXPECT_EQ(refunded.payment_id, charge.charge_id);
  EXPECT_GE(worker_->Stats().retried, 1u);
  EXPECT_EQ(LedgerRows("refunds", "refund:" + r.order_id).size(), 1u);
}

// A declined charge the worker never recorded took no money: nothing to give back.
TEST_P(PaymentIt, ExpiryAfterAnUnrecordedDeclineRefundsNothing) {
  StartWorker();
  auto r = Reserved("tok_decline");
  provider::ProviderClient direct(provider::ProviderClientOptions{.base_url = provider_->BaseUrl()});
  ASSERT_FALSE(direct.Charge(ChargeKey(r.order_id), r.order_id, r.total_minor, r.currency, r.payment.token)
                   .Captured());
  probe_->Publish(Released(r, contracts::ReleaseReason::kExpired));
  Barrier();
  EXPECT_EQ(probe_->EventsFor(r.order_id), 0u);
  EXPECT_TRUE(Ledger()["refunds"].empty());
}

TEST_P(PaymentIt, ProviderRejectionIsDeadLetteredAtOnce) {
  StartWorker();
  auto r = Reserved("tok_ok", /*total=*/0);  // the provider refuses to charge nothing
  probe_->Publish(r);
  const std::optional<amqp::Delivery> dead = probe_->AwaitMessage("payment.dlq", 15s);
  ASSERT_TRUE(dead.has_value());
  EXPECT_EQ(dead->message.headers.GetString(contracts::dead_letter::kErrorClass),
            std::string(contracts::dead_letter::kPermanentError));
  EXPECT_EQ(worker_->Stats().retried, 0u);
  EXPECT_EQ(probe_->EventsFor(r.order_id), 0u);
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
  probe_->Publish(r);
  ASSERT_TRUE(testing::WaitFor([&] { return worker_->Stats().retried >= 1; }, 15s));
  EXPECT_EQ(probe_->EventsFor(r.order_id), 0u);
}

INSTANTIATE_TEST_SUITE_P(Stores, PaymentIt, testing::EveryStore(), testing::StoreName);

}  // namespace
}  // namespace choreo::payment
