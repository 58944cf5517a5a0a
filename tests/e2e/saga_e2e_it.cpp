// The whole choreography with real processes (provider stand-in + the five workers) on a
// real broker, order.placed published directly (the order flow of docs/architecture.md).
#include <gtest/gtest.h>

#include <algorithm>

#include "choreo/amqp/connection.hpp"
#include "choreo/contracts/dead_letter.hpp"
#include "choreo/store/store.hpp"
#include "choreo/testing/testing.hpp"
#include "system.hpp"

namespace choreo::e2e {
namespace {

using namespace std::chrono_literals;
using Poco::Data::Keywords::into;
namespace dl = contracts::dead_letter;

struct Stock {
  int64_t available = 0, reserved = 0, sold = 0;
  int64_t Total() const { return available + reserved + sold; }
};

Stock StockOf(System& system, const std::string& sku) {
  store::Store inventory(system.StoreUrl("inventory"));
  Stock s;
  inventory.InTransaction([&](store::Tx& tx) {
    Poco::Int64 a = 0, r = 0, so = 0;
    tx.Run("SELECT available, reserved, sold FROM inventory_stock WHERE sku = ?", into(a), into(r), into(so), sku);
    s = {a, r, so};
  });
  return s;
}

std::vector<nlohmann::json> Rows(const nlohmann::json& ledger, const char* kind, const std::string& key,
                                 const std::string& value) {
  std::vector<nlohmann::json> out;
  for (const auto& row : ledger.at(kind)) {
    if (row.value(key, std::string()) == value) out.push_back(row);
  }
  return out;
}

// Captured charges, refunds (matched through the charge id) and e-mails of one order.
struct Effects {
  int captures = 0, declines = 0, refunds = 0, emails = 0;
};

Effects EffectsOf(const nlohmann::json& ledger, const std::string& order_id) {
  Effects e;
  std::vector<std::string> charge_ids;
  for (const auto& c : Rows(ledger, "charges", "order_id", order_id)) {
    if (c.value("status", "") == "captured") {
      e.captures++;
      charge_ids.push_back(c.value("charge_id", ""));
    } else {
      e.declines++;
    }
  }
  for (const auto& id : charge_ids) e.refunds += static_cast<int>(Rows(ledger, "refunds", "charge_id", id).size());
  e.emails = static_cast<int>(Rows(ledger, "emails", "order_id", order_id).size());
  return e;
}

class SagaE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    vhost_ = new testing::TestVhost("saga");
    system_ = new System({.amqp_url = vhost_->AmqpUrl()});
    system_->StartAll();
    publisher_ = new EventPublisher(vhost_->AmqpUrl());
    watcher_ = new TerminalWatcher(vhost_->AmqpUrl());
  }
  static void TearDownTestSuite() {
    delete watcher_;
    delete publisher_;
    delete system_;
    delete vhost_;
  }

  // Places `order` and waits for its terminal event.
  std::string Run(const contracts::OrderPlaced& order, std::chrono::milliseconds timeout = 60s) {
    publisher_->Publish(contracts::MakeEnvelope(order));
    if (!watcher_->WaitForAll({order.order_id}, timeout)) {
      ADD_FAILURE() << "order " << order.order_id << " never reached a terminal state; logs:\n"
                    << "--- inventory\n" << system_->LogTail("inventory") << "--- payment\n"
                    << system_->LogTail("payment") << "--- order\n" << system_->LogTail("order");
      return "";
    }
    // The e-mail follows the terminal event.
    testing::WaitFor([&] { return EffectsOf(system_->Ledger(), order.order_id).emails >= 1; }, 20s, 20ms);
    return watcher_->Outcome(order.order_id);
  }

  static testing::TestVhost* vhost_;
  static System* system_;
  static EventPublisher* publisher_;
  static TerminalWatcher* watcher_;
};

testing::TestVhost* SagaE2E::vhost_ = nullptr;
System* SagaE2E::system_ = nullptr;
EventPublisher* SagaE2E::publisher_ = nullptr;
TerminalWatcher* SagaE2E::watcher_ = nullptr;

TEST_F(SagaE2E, HappyPathConfirmsChargesOnceAndSellsStock) {
  const Stock before = StockOf(*system_, "sku-002");
  contracts::OrderPlaced order = MakeOrder("tok_ok", "DE", {{.sku = "sku-002", .quantity = 3}});
  EXPECT_EQ(Run(order), "CONFIRMED");
  const Stock after = StockOf(*system_, "sku-002");
  EXPECT_EQ(after.available, before.available - 3);
  EXPECT_EQ(after.sold, before.sold + 3);
  EXPECT_EQ(after.Total(), before.Total());
  Effects e = EffectsOf(system_->Ledger(), order.order_id);
  EXPECT_EQ(e.captures, 1);
  EXPECT_EQ(e.refunds, 0);
  EXPECT_EQ(e.emails, 1);
  EXPECT_EQ(watcher_->Terminals().at(order.order_id).size(), 1u);
}

TEST_F(SagaE2E, InsufficientStockAndUnknownSkuCancelWithoutCharge) {
  contracts::OrderPlaced short_order = MakeOrder("tok_ok", "DE", {{.sku = "sku-rare", .quantity = 1000}});
  contracts::OrderPlaced unknown = MakeOrder("tok_ok", "DE", {{.sku = "sku-001", .quantity = 1}, {.sku = "sku-nope", .quantity = 1}});
  const Stock before = StockOf(*system_, "sku-001");
  EXPECT_EQ(Run(short_order), "CANCELLED:insufficient_stock");
  EXPECT_EQ(Run(unknown), "CANCELLED:unknown_sku");
  auto ledger = system_->Ledger();
  EXPECT_EQ(EffectsOf(ledger, short_order.order_id).captures + EffectsOf(ledger, short_order.order_id).declines, 0);
  EXPECT_EQ(EffectsOf(ledger, unknown.order_id).captures + EffectsOf(ledger, unknown.order_id).declines, 0);
  // All or nothing: the known line of the rejected order reserved nothing.
  const Stock after = StockOf(*system_, "sku-001");
  EXPECT_EQ(after.available, before.available);
  EXPECT_EQ(after.reserved, before.reserved);
}

TEST_F(SagaE2E, DeclinedPaymentCancelsAndReleasesTheReservation) {
  const Stock before = StockOf(*system_, "sku-003");
  contracts::OrderPlaced order = MakeOrder("tok_decline", "DE", {{.sku = "sku-003", .quantity = 2}});
  EXPECT_EQ(Run(order), "CANCELLED:payment_declined");
  ASSERT_TRUE(testing::WaitFor([&] { return StockOf(*system_, "sku-003").reserved == before.reserved; }, 10s, 20ms));
  const Stock after = StockOf(*system_, "sku-003");
  EXPECT_EQ(after.available, before.available);
  EXPECT_EQ(after.sold, before.sold);
  Effects e = EffectsOf(system_->Ledger(), order.order_id);
  EXPECT_EQ(e.captures, 0);
  EXPECT_EQ(e.declines, 1);
}

TEST_F(SagaE2E, UnservedDestinationCancelsRefundsOnceAndRestocks) {
  const Stock before = StockOf(*system_, "sku-004");
  contracts::OrderPlaced order = MakeOrder("tok_ok", "AQ", {{.sku = "sku-004", .quantity = 1}});
  EXPECT_EQ(Run(order), "CANCELLED:shipment_rejected");
  ASSERT_TRUE(testing::WaitFor([&] { return EffectsOf(system_->Ledger(), order.order_id).refunds == 1; }, 20s, 20ms));
  ASSERT_TRUE(testing::WaitFor([&] { return StockOf(*system_, "sku-004").available == before.available; }, 20s, 20ms));
  const Stock after = StockOf(*system_, "sku-004");
  EXPECT_EQ(after.sold, before.sold);
  EXPECT_EQ(after.Total(), before.Total());
  Effects e = EffectsOf(system_->Ledger(), order.order_id);
  EXPECT_EQ(e.captures, 1);
  EXPECT_EQ(e.refunds, 1);
}

TEST_F(SagaE2E, FlakyProviderConfirmsAfterRetriesWithOneCharge) {
  contracts::OrderPlaced order = MakeOrder("tok_flaky", "DE", {{.sku = "sku-005", .quantity = 1}});
  // Two 503s are retried after 1 s and 4 s.
  EXPECT_EQ(Run(order, 90s), "CONFIRMED");
  EXPECT_EQ(EffectsOf(system_->Ledger(), order.order_id).captures, 1);
}

TEST_F(SagaE2E, SameOrderPlacedTwiceIsOneOrderAndOneCharge) {
  contracts::OrderPlaced order = MakeOrder("tok_ok", "DE", {{.sku = "sku-006", .quantity = 1}});
  contracts::Envelope placed = contracts::MakeEnvelope(order);
  publisher_->Publish(placed);
  publisher_->Publish(placed);  // a redelivery: same message id
  contracts::Envelope again = contracts::MakeEnvelope(order);  // a resubmission: new message id
  publisher_->Publish(again);
  ASSERT_TRUE(watcher_->WaitForAll({order.order_id}, 60s));
  EXPECT_EQ(watcher_->Outcome(order.order_id), "CONFIRMED");
  ASSERT_TRUE(testing::WaitFor([&] { return EffectsOf(system_->Ledger(), order.order_id).emails >= 1; }, 20s, 20ms));
  Effects e = EffectsOf(system_->Ledger(), order.order_id);
  EXPECT_EQ(e.captures, 1);
  EXPECT_EQ(e.emails, 1);
  watcher_->Poll(200ms);
  EXPECT_EQ(watcher_->Terminals().at(order.order_id).size(), 1u);
}

TEST_F(SagaE2E, MalformedAndSchemaViolatingMessagesAreDeadLetteredAndWorkersKeepRunning) {
  amqp::Connection conn({.url = vhost_->AmqpUrl()});
  const uint32_t dlq_before = conn.InspectQueue("inventory.dlq").message_count;
  publisher_->PublishRaw("orders", "order.placed", "{this is not json", "malformed-1");
  nlohmann::json bad = contracts::MakeEnvelope(MakeOrder());
  bad["payload"].erase("lines");  // schema violation: a required field is missing
  publisher_->PublishRaw("orders", "order.placed", bad.dump(), bad["message_id"]);

  ASSERT_TRUE(testing::WaitFor([&] { return conn.InspectQueue("inventory.dlq").message_count >= dlq_before + 2; }, 20s, 50ms));
  std::vector<std::string> reasons;
  for (uint32_t i = 0; i < dlq_before + 2; ++i) {
    auto d = conn.Get("inventory.dlq", false);
    ASSERT_TRUE(d.has_value());
    if (d->message.message_id == "malformed-1" || d->message.message_id == bad["message_id"]) {
      EXPECT_EQ(d->message.headers.GetString(dl::kErrorClass), std::string(dl::kContractError));
      EXPECT_EQ(d->message.headers.GetString(dl::kWorker), "inventory");
      EXPECT_EQ(d->message.headers.GetString(dl::kOriginalExchange), "orders");
      EXPECT_EQ(d->message.headers.GetString(dl::kOriginalRoutingKey), "order.placed");
      reasons.push_back(d->message.headers.GetString(dl::kErrorMessage).value_or(""));
    }
  }
  ASSERT_EQ(reasons.size(), 2u);
  EXPECT_TRUE(std::any_of(reasons.begin(), reasons.end(), [](const std::string& r) { return r.find("lines") != std::string::npos; }))
      << "the schema violation should name the missing field";
  // The order worker received both too, and dead-lettered them on its own DLQ.
  ASSERT_TRUE(testing::WaitFor([&] { return conn.InspectQueue("order.dlq").message_count >= 2; }, 20s, 50ms));
  for (const auto& w : kWorkers) EXPECT_TRUE(system_->Running(w)) << w;
  EXPECT_EQ(Run(MakeOrder()), "CONFIRMED");
}

TEST(SagaE2ESlowPayment, CaptureAfterTheDeadlineIsRefundedAndStockReturns) {
  testing::TestVhost vhost("slow");
  System system({.amqp_url = vhost.AmqpUrl(), .reservation_ttl = "1s",
                 .env = {{"provider", {{"CHOREO_PROVIDER_SLOW_MS", "3000"}}}}});
  system.StartAll();
  EventPublisher publisher(vhost.AmqpUrl());
  TerminalWatcher watcher(vhost.AmqpUrl());
  const Stock before = StockOf(system, "sku-007");
  contracts::OrderPlaced order = MakeOrder("tok_slow", "DE", {{.sku = "sku-007", .quantity = 2}});
  publisher.Publish(contracts::MakeEnvelope(order));
  ASSERT_TRUE(watcher.WaitForAll({order.order_id}, 60s)) << system.LogTail("inventory") << system.LogTail("payment");
  EXPECT_EQ(watcher.Outcome(order.order_id), "CANCELLED:reservation_expired");
  ASSERT_TRUE(testing::WaitFor([&] { return EffectsOf(system.Ledger(), order.order_id).refunds == 1; }, 30s, 50ms))
      << system.LogTail("payment");
  ASSERT_TRUE(testing::WaitFor([&] { return StockOf(system, "sku-007").available == before.available; }, 10s, 20ms));
  Effects e = EffectsOf(system.Ledger(), order.order_id);
  EXPECT_EQ(e.captures, 1);
  EXPECT_EQ(e.refunds, 1);
  const Stock after = StockOf(system, "sku-007");
  EXPECT_EQ(after.sold, before.sold);
  EXPECT_EQ(after.reserved, before.reserved);
}

}  // namespace
}  // namespace choreo::e2e
