// The audit's checks on in-memory data: a consistent dataset passes, and each kind of
// broken guarantee is reported by the check that owns it, naming the order (or SKU, or
// store). No store, no broker.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include <nlohmann/json.hpp>

#include "choreo/admin/audit.hpp"
#include "choreo/admin/cli.hpp"

namespace choreo::admin {
namespace {

using std::chrono::minutes;

constexpr std::int64_t kNow = 1'800'000'000'000;
constexpr std::int64_t kHourAgo = kNow - 3'600'000;
constexpr std::int64_t kMinuteAgo = kNow - 60'000;

// Four orders through four outcomes, every store agreeing:
//   o-ok        confirmed: capture 25.00, shipment, confirmation e-mail, 2 x sku-a sold
//   o-declined  cancelled(payment_declined): declined charge, released reservation
//   o-expired   cancelled(reservation_expired): capture 10.00 refunded in full
//   o-nostock   cancelled(insufficient_stock): rejected by inventory
AuditData Consistent() {
  AuditData d;
  d.now_ms = kNow;
  d.gateway = std::vector<AcceptedOrder>{
      {"o-ok", kHourAgo}, {"o-declined", kHourAgo}, {"o-expired", kHourAgo}, {"o-nostock", kHourAgo}};
  d.orders = std::vector<OrderRecord>{
      {"o-ok", "confirmed", std::nullopt, 2500, kHourAgo, kHourAgo + 1000},
      {"o-declined", "cancelled", "payment_declined", 450, kHourAgo, kHourAgo + 1000},
      {"o-expired", "cancelled", "reservation_expired", 1000, kHourAgo, kHourAgo + 1000},
      {"o-nostock", "cancelled", "insufficient_stock", std::nullopt, kHourAgo, kHourAgo + 1000},
  };
  InventoryData inv;
  inv.stock = {{"sku-a", 10, 8, 0, 2}, {"sku-b", 5, 5, 0, 0}};
  inv.reservations = {
      {"o-ok", "committed", std::nullopt, {{"sku-a", 2}}},
      {"o-declined", "released", "payment_declined", {{"sku-b", 1}}},
      {"o-expired", "released", "expired", {{"sku-a", 1}}},
  };
  inv.rejected_orders = {"o-nostock"};
  d.inventory = inv;
  d.catalog = std::map<std::string, std::int64_t>{{"sku-a", 10}, {"sku-b", 5}};
  d.payments = std::vector<PaymentRecord>{
      {"o-ok", "captured", "ch-1", 2500, std::nullopt},
      {"o-declined", "declined", "ch-2", 450, std::nullopt},
      {"o-expired", "captured", "ch-3", 1000, "rf-1"},
  };
  d.shipments = std::vector<ShipmentRecord>{{"o-ok", "scheduled"}};
  d.notifications = std::vector<NotificationRecord>{{"o-ok", "order_confirmed", "em-1"},
                                                    {"o-declined", "order_cancelled", "em-2"},
                                                    {"o-expired", "order_cancelled", "em-3"},
                                                    {"o-nostock", "order_cancelled", "em-4"}};
  ProviderData p;
  p.charges = {{"ch-1", "o-ok", 2500, "captured", kHourAgo},
               {"ch-2", "o-declined", 450, "declined", kHourAgo},
               {"ch-3", "o-expired", 1000, "captured", kHourAgo}};
  p.refunds = {{"rf-1", "ch-3", 1000, "reservation_expired", kHourAgo}};
  p.emails = {{"em-1", "o-ok", "order_confirmed", kHourAgo},
              {"em-2", "o-declined", "order_cancelled", kHourAgo},
              {"em-3", "o-expired", "order_cancelled", kHourAgo},
              {"em-4", "o-nostock", "order_cancelled", kHourAgo}};
  d.provider = p;
  for (const char* c : {"gateway", "order", "inventory", "payment", "shipping", "notification"}) {
    d.outboxes.push_back({c, 0, 0, std::nullopt, {}});
  }
  d.dlq = DlqData{};
  d.dlq->queues = 5;
  return d;
}

const CheckResult& Check(const AuditReport& r, const std::string& name) {
  auto it = std::find_if(r.checks.begin(), r.checks.end(), [&](const CheckResult& c) { return c.name == name; });
  if (it == r.checks.end()) throw std::runtime_error("no check " + name);
  return *it;
}

// The only violated check is `name`, and it names `id` with a problem containing `problem`.
void ExpectOnly(const AuditReport& r, const std::string& name, const std::string& id, const std::string& problem) {
  for (const CheckResult& c : r.checks) {
    if (c.name == name) {
      EXPECT_EQ(c.status, CheckStatus::kViolation) << name;
      ASSERT_FALSE(c.offenders.empty()) << name;
      EXPECT_EQ(c.offenders[0].id, id) << name;
      EXPECT_NE(c.offenders[0].problem.find(problem), std::string::npos)
          << name << ": '" << c.offenders[0].problem << "' lacks '" << problem << "'";
    } else {
      EXPECT_NE(c.status, CheckStatus::kViolation) << c.name << " also violated: "
                                                   << (c.offenders.empty() ? "" : c.offenders[0].problem);
    }
  }
  EXPECT_FALSE(r.Clean());
}

TEST(Audit, ConsistentDataIsClean) {
  AuditReport r = Audit(Consistent(), {});
  for (const CheckResult& c : r.checks) {
    EXPECT_EQ(c.status, CheckStatus::kOk) << c.name << ": " << (c.offenders.empty() ? c.note : c.offenders[0].problem);
  }
  EXPECT_TRUE(r.Clean());
  EXPECT_EQ(r.summary.orders_accepted, 4u);
  EXPECT_EQ(r.summary.confirmed, 1u);
  EXPECT_EQ(r.summary.cancelled, 3u);
  EXPECT_EQ(r.summary.cancelled_by_reason.at("payment_declined"), 1u);
  EXPECT_EQ(r.summary.captures, 2u);
  EXPECT_EQ(r.summary.refunds, 1u);
  EXPECT_EQ(r.summary.emails, 4u);
  EXPECT_EQ(r.summary.units_sold, 2);
  EXPECT_EQ(Check(r, "confirmed.payment").checked, 1u);
  EXPECT_EQ(Check(r, "cancelled.email").checked, 3u);
}

TEST(Audit, DoubleCaptureOfAConfirmedOrder) {
  AuditData d = Consistent();
  d.provider->charges.push_back({"ch-9", "o-ok", 2500, "captured", kHourAgo});
  AuditReport r = Audit(d, {});
  EXPECT_EQ(Check(r, "confirmed.payment").status, CheckStatus::kViolation);
  EXPECT_EQ(Check(r, "confirmed.payment").offenders.at(0).id, "o-ok");
  EXPECT_NE(Check(r, "confirmed.payment").offenders.at(0).problem.find("2 captures"), std::string::npos);
  // The payment worker never recorded the second capture either.
  EXPECT_EQ(Check(r, "ledger.agreement").status, CheckStatus::kViolation);
}

TEST(Audit, RefundOfAConfirmedOrder) {
  AuditData d = Consistent();
  d.provider->refunds.push_back({"rf-9", "ch-1", 2500, "shipment_rejected", kHourAgo});
  (*d.payments)[0].refund_id = "rf-9";
  ExpectOnly(Audit(d, {}), "confirmed.payment", "o-ok", "refunded 25.00");
}

TEST(Audit, CaptureOfAnotherAmountThanTheTotal) {
  AuditData d = Consistent();
  (*d.orders)[0].total_minor = 2600;
  ExpectOnly(Audit(d, {}), "confirmed.payment", "o-ok", "captured 25.00, order total 26.00");
}

TEST(Audit, MissingRefundOfACancelledOrder) {
  AuditData d = Consistent();
  d.provider->refunds.clear();
  (*d.payments)[2].refund_id.reset();
  ExpectOnly(Audit(d, {}), "cancelled.payment", "o-expired", "capture ch-3 of 10.00 not refunded");
}

TEST(Audit, MissingRefundIsInFlightForARecentCancellation) {
  AuditData d = Consistent();
  d.provider->refunds.clear();
  (*d.payments)[2].refund_id.reset();
  (*d.orders)[2].changed_at_ms = kMinuteAgo;
  AuditOptions options;
  options.in_flight = minutes(5);
  AuditReport r = Audit(d, options);
  EXPECT_TRUE(r.Clean());
  EXPECT_EQ(Check(r, "cancelled.payment").tolerated, 1u);
  // Without --allow-in-flight the same data is a violation.
  EXPECT_FALSE(Audit(d, {}).Clean());
}

TEST(Audit, PartialAndDoubleRefunds) {
  AuditData d = Consistent();
  d.provider->refunds[0].amount_minor = 900;
  ExpectOnly(Audit(d, {}), "cancelled.payment", "o-expired", "refunded 9.00");

  d = Consistent();
  d.provider->refunds.push_back({"rf-2", "ch-3", 1000, "reservation_expired", kHourAgo});
  d.payments->at(2).refund_id = "rf-1";
  AuditReport r = Audit(d, {});
  EXPECT_EQ(Check(r, "cancelled.payment").status, CheckStatus::kViolation);
  EXPECT_NE(Check(r, "cancelled.payment").offenders.at(0).problem.find("refunded 2 times"), std::string::npos);
}

TEST(Audit, MissingAndDuplicateEmails) {
  AuditData d = Consistent();
  d.provider->emails.erase(d.provider->emails.begin());  // em-1, o-ok's confirmation
  d.notifications->erase(d.notifications->begin());
  ExpectOnly(Audit(d, {}), "confirmed.email", "o-ok", "no confirmation e-mail");

  d = Consistent();
  d.provider->emails.push_back({"em-9", "o-nostock", "order_cancelled", kHourAgo});
  AuditReport r = Audit(d, {});
  EXPECT_EQ(Check(r, "cancelled.email").status, CheckStatus::kViolation);
  EXPECT_EQ(Check(r, "cancelled.email").offenders.at(0).id, "o-nostock");
  EXPECT_NE(Check(r, "cancelled.email").offenders.at(0).problem.find("2 cancellation e-mails"), std::string::npos);

  d = Consistent();
  d.provider->emails.push_back({"em-9", "o-ok", "order_cancelled", kHourAgo});
  d.notifications->push_back({"o-ok", "order_cancelled", "em-9"});
  ExpectOnly(Audit(d, {}), "confirmed.email", "o-ok", "1 order_cancelled e-mail");
}

TEST(Audit, MissingShipment) {
  AuditData d = Consistent();
  d.shipments->clear();
  ExpectOnly(Audit(d, {}), "confirmed.shipment", "o-ok", "no shipment booked");
}

TEST(Audit, StockDrift) {
  AuditData d = Consistent();
  d.inventory->stock[0].available = 7;  // a unit vanished
  AuditReport r = Audit(d, {});
  ExpectOnly(r, "stock.conserved", "sku-a", "= 9 != initial 10");
}

TEST(Audit, CatalogAndStoreTotalDisagree) {
  AuditData d = Consistent();
  d.inventory->stock[1] = {"sku-b", 6, 6, 0, 0};
  ExpectOnly(Audit(d, {}), "stock.conserved", "sku-b", "total 6 != catalog 5");
  // Without the catalog file the store's total is the reference: consistent again.
  d.catalog.reset();
  EXPECT_TRUE(Audit(d, {}).Clean());
  EXPECT_FALSE(Check(Audit(d, {}), "stock.conserved").note.empty());
}

TEST(Audit, SoldAndReservedMustMatchTheReservations) {
  AuditData d = Consistent();
  d.inventory->stock[0] = {"sku-a", 10, 7, 0, 3};  // conserved, but one unit too many sold
  ExpectOnly(Audit(d, {}), "stock.sold", "sku-a", "sold 3 != 2");

  d = Consistent();
  d.inventory->stock[1] = {"sku-b", 5, 4, 1, 0};  // reserved without a held reservation
  ExpectOnly(Audit(d, {}), "stock.reserved", "sku-b", "reserved 1 != 0");
}

TEST(Audit, ReservationCommittedAndReleased) {
  AuditData d = Consistent();
  d.inventory->reservations[0].release_reason = "expired";
  ExpectOnly(Audit(d, {}), "reservations.state", "o-ok", "committed and released");

  // Released while its shipment is scheduled: both, across two stores. The stock moved
  // back, so the confirmed order's reservation also disagrees.
  d = Consistent();
  d.inventory->reservations[0].state = "released";
  d.inventory->reservations[0].release_reason = "shipment_rejected";
  d.inventory->stock[0] = {"sku-a", 10, 10, 0, 0};
  AuditReport r = Audit(d, {});
  ExpectOnly(r, "reservations.state", "o-ok", "although its shipment is scheduled");
}

TEST(Audit, CancelledOrderWithACommittedReservation) {
  AuditData d = Consistent();
  d.inventory->reservations[2].state = "committed";
  d.inventory->reservations[2].release_reason.reset();
  d.inventory->stock[0] = {"sku-a", 10, 7, 0, 3};
  ExpectOnly(Audit(d, {}), "reservations.state", "o-expired", "order cancelled, reservation still committed");
}

TEST(Audit, NonTerminalOrder) {
  AuditData d = Consistent();
  d.gateway->push_back({"o-stuck", kHourAgo});
  d.orders->push_back({"o-stuck", "reserved", std::nullopt, 1250, kHourAgo, kHourAgo});
  d.inventory->reservations.push_back({"o-stuck", "held", std::nullopt, {{"sku-a", 1}}});
  d.inventory->stock[0] = {"sku-a", 10, 7, 1, 2};
  ExpectOnly(Audit(d, {}), "orders.terminal", "o-stuck", "still reserved");
  AuditOptions options;
  options.in_flight = minutes(5);
  EXPECT_FALSE(Audit(d, options).Clean());  // an hour old: stuck, not in flight

  (*d.gateway).back().created_at_ms = kMinuteAgo;
  (*d.orders).back().created_at_ms = kMinuteAgo;
  AuditReport r = Audit(d, options);
  EXPECT_TRUE(r.Clean());
  EXPECT_EQ(Check(r, "orders.terminal").tolerated, 1u);
  EXPECT_EQ(r.summary.in_flight, 1u);
  EXPECT_FALSE(Audit(d, {}).Clean());
}

TEST(Audit, DuplicateEffectsOfAnOrderInFlightAreNeverTolerated) {
  AuditData d = Consistent();
  d.gateway->push_back({"o-moving", kMinuteAgo});
  d.orders->push_back({"o-moving", "paid", std::nullopt, 1000, kMinuteAgo, kMinuteAgo});
  d.provider->charges.push_back({"ch-7", "o-moving", 1000, "captured", kMinuteAgo});
  d.provider->charges.push_back({"ch-8", "o-moving", 1000, "captured", kMinuteAgo});
  AuditOptions options;
  options.in_flight = minutes(5);
  AuditReport r = Audit(d, options);
  EXPECT_EQ(Check(r, "effects.in_flight").status, CheckStatus::kViolation);
  EXPECT_EQ(Check(r, "effects.in_flight").offenders.at(0).id, "o-moving");
}

TEST(Audit, OrderUnknownToTheOrderWorker) {
  AuditData d = Consistent();
  d.gateway->push_back({"o-lost", kHourAgo});
  ExpectOnly(Audit(d, {}), "orders.known", "o-lost", "unknown to the order worker");
}

TEST(Audit, EffectsOfAnOrderNeverAccepted) {
  AuditData d = Consistent();
  d.provider->charges.push_back({"ch-x", "o-ghost", 999, "captured", kHourAgo});
  d.payments->push_back({"o-ghost", "captured", "ch-x", 999, std::nullopt});
  ExpectOnly(Audit(d, {}), "orders.accepted", "o-ghost", "1 capture(s)");
  // Without the gateway's store nobody can tell: the check is skipped.
  d.gateway.reset();
  EXPECT_EQ(Check(Audit(d, {}), "orders.accepted").status, CheckStatus::kSkipped);
}

TEST(Audit, PendingOutboxRows) {
  AuditData d = Consistent();
  d.outboxes[2] = {"inventory", 2, 1, kHourAgo, {kHourAgo, kMinuteAgo}};
  ExpectOnly(Audit(d, {}), "outbox.drained", "inventory", "2 pending, oldest 1h");
  AuditOptions options;
  options.in_flight = minutes(5);
  EXPECT_FALSE(Audit(d, options).Clean());  // one row is an hour old

  d.outboxes[2] = {"inventory", 1, 0, kMinuteAgo, {kMinuteAgo}};
  EXPECT_TRUE(Audit(d, options).Clean());
  EXPECT_FALSE(Audit(d, {}).Clean());
}

TEST(Audit, DeadLettersAreListedAsAWarningUnlessAskedToFail) {
  AuditData d = Consistent();
  d.dlq->messages.push_back({"payment.dlq", "m-1", "inventory.reserved", "o-9", "transient_exhausted",
                             "provider 503 after 5 attempts", "payment", "2026-01-01T00:00:00.000Z"});
  AuditReport r = Audit(d, {});
  EXPECT_TRUE(r.Clean());
  EXPECT_EQ(Check(r, "dlq.empty").status, CheckStatus::kWarning);
  ASSERT_EQ(r.dead_letters.size(), 1u);
  EXPECT_EQ(r.summary.dlq_messages, 1u);
  std::ostringstream text;
  WriteAuditText(text, r);
  EXPECT_NE(text.str().find("transient_exhausted: provider 503 after 5 attempts"), std::string::npos) << text.str();

  AuditOptions strict;
  strict.fail_on_dlq = true;
  EXPECT_FALSE(Audit(d, strict).Clean());
}

TEST(Audit, MissingComponentsSkipTheirChecks) {
  AuditData d = Consistent();
  d.provider.reset();
  d.dlq.reset();
  AuditReport r = Audit(d, {});
  EXPECT_TRUE(r.Clean());
  EXPECT_EQ(Check(r, "confirmed.payment").status, CheckStatus::kSkipped);
  EXPECT_EQ(Check(r, "dlq.empty").status, CheckStatus::kSkipped);
  EXPECT_EQ(Check(r, "stock.conserved").status, CheckStatus::kOk);
}

TEST(Audit, TextAndJsonReports) {
  AuditData d = Consistent();
  d.provider->charges.push_back({"ch-9", "o-ok", 2500, "captured", kHourAgo});
  AuditReport r = Audit(d, {});
  std::ostringstream text;
  WriteAuditText(text, r);
  const std::string t = text.str();
  EXPECT_NE(t.find("VIOLATION confirmed.payment"), std::string::npos) << t;
  EXPECT_NE(t.find("o-ok (2 captures)"), std::string::npos) << t;
  EXPECT_NE(t.find("OK        stock.conserved"), std::string::npos) << t;
  EXPECT_NE(t.find("Result: VIOLATION"), std::string::npos) << t;
  EXPECT_NE(t.find("1 confirmed, 3 cancelled (insufficient_stock 1, payment_declined 1, reservation_expired 1)"),
            std::string::npos)
      << t;

  nlohmann::json j = nlohmann::json::parse(AuditJson(r));
  EXPECT_FALSE(j["ok"].get<bool>());
  EXPECT_GE(j["violations"].get<int>(), 1);
  bool found = false;
  for (const auto& c : j["checks"]) {
    if (c["name"] == "confirmed.payment") {
      found = true;
      EXPECT_EQ(c["status"], "violation");
      EXPECT_EQ(c["offenders"][0]["id"], "o-ok");
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(j["summary"]["captures"], 3);
}

TEST(AuditCli, UsageErrors) {
  CliEnvironment env;
  std::istringstream in;
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"audit", "--allow-in-flight=soon"},
           {"audit", "--allow-in-flight", "5m"},
           {"audit", "--store", "sqlite:x.db"},
           {"audit", "--gateway-store"},
           {"audit", "--gateway-store=none", "--order-store=none", "--inventory-store=none", "--payment-store=none",
            "--shipping-store=none", "--notification-store=none", "--provider-store=none"},
           {"audit", "--gateway-store=none", "--order-store=mysql://nope", "--inventory-store=none",
            "--payment-store=none", "--shipping-store=none", "--notification-store=none", "--provider-store=none"},
       }) {
    std::ostringstream out, err;
    EXPECT_EQ(RunCli(args, env, in, out, err), kExitUsage) << args.back() << "\n" << err.str();
  }
  std::ostringstream out, err;
  EXPECT_EQ(RunCli({"audit", "--help"}, env, in, out, err), kExitOk);
  EXPECT_NE(out.str().find("--allow-in-flight[=AGE]"), std::string::npos);
}

}  // namespace
}  // namespace choreo::admin
