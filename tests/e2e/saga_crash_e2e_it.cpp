// Workers SIGKILLed mid-stream and restarted: every order still reaches exactly one
// terminal state, and no effect (charge, refund, e-mail, stock) happens twice: the
// exactly-once effects of docs/architecture.md, Delivery guarantees.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "choreo/store/store.hpp"
#include "choreo/testing/testing.hpp"
#include "system.hpp"

namespace choreo::e2e {
namespace {

using namespace std::chrono_literals;
using Poco::Data::Keywords::into;

int64_t TotalStock(System& system) {
  store::Store inventory(system.StoreUrl("inventory"));
  Poco::Int64 total = 0;
  inventory.InTransaction([&](store::Tx& tx) { tx.Run("SELECT SUM(available + reserved + sold) FROM inventory_stock", into(total)); });
  return total;
}

TEST(SagaCrashE2E, SigkilledWorkersLoseNothingAndRepeatNoEffect) {
  constexpr int kOrders = 300;
  testing::TestVhost vhost("crash");
  System system({.amqp_url = vhost.AmqpUrl()});
  system.StartAll();
  EventPublisher publisher(vhost.AmqpUrl());
  TerminalWatcher watcher(vhost.AmqpUrl());
  const int64_t stock_before = TotalStock(system);

  std::mt19937 rng(421);
  std::vector<std::string> ids;
  std::map<std::string, std::string> expected;
  const std::vector<std::string> victims = {"inventory", "payment", "order", "shipping", "notification"};
  std::size_t kills = 0;
  for (int i = 0; i < kOrders; ++i) {
    const int kind = static_cast<int>(rng() % 10);
    contracts::OrderPlaced order = kind < 7   ? MakeOrder("tok_ok", "DE", {{.sku = "sku-00" + std::to_string(1 + rng() % 8), .quantity = 1}})
                                   : kind < 9 ? MakeOrder("tok_decline")
                                              : MakeOrder("tok_ok", "AQ");
    expected[order.order_id] = kind < 7 ? "CONFIRMED" : kind < 9 ? "CANCELLED:payment_declined" : "CANCELLED:shipment_rejected";
    ids.push_back(order.order_id);
    publisher.Publish(contracts::MakeEnvelope(order));
    // Every 30 orders, SIGKILL a worker mid-stream and start it again.
    if (i % 30 == 15) {
      const std::string& victim = victims[kills % victims.size()];
      system.Kill(victim, SIGKILL);
      ++kills;
      system.Start(victim);
    }
  }
  ASSERT_TRUE(watcher.WaitForAll(ids, 180s)) << "only " << watcher.Terminals().size() << " of " << kOrders
                                             << " orders reached a terminal state";

  // Effects settle after the terminal events (refunds, e-mails).
  auto settled = [&] {
    nlohmann::json ledger = system.Ledger();
    return ledger.at("emails").size() >= static_cast<std::size_t>(kOrders);
  };
  ASSERT_TRUE(testing::WaitFor(settled, 60s, 100ms));
  nlohmann::json ledger = system.Ledger();
  std::map<std::string, int> captures, emails;
  std::map<std::string, std::string> charge_order;
  for (const auto& c : ledger.at("charges")) {
    if (c.at("status") == "captured") {
      captures[c.at("order_id")]++;
      charge_order[c.at("charge_id")] = c.at("order_id");
    }
  }
  std::map<std::string, int> refunds;
  for (const auto& r : ledger.at("refunds")) refunds[charge_order[r.at("charge_id")]]++;
  for (const auto& e : ledger.at("emails")) emails[e.at("order_id")]++;

  for (const auto& id : ids) {
    SCOPED_TRACE(id);
    ASSERT_EQ(watcher.Terminals().at(id).size(), 1u) << "more than one distinct terminal event";
    const std::string outcome = watcher.Outcome(id);
    EXPECT_EQ(outcome, expected[id]);
    EXPECT_EQ(emails[id], 1);
    if (outcome == "CONFIRMED") {
      EXPECT_EQ(captures[id], 1);
      EXPECT_EQ(refunds[id], 0);
    } else {
      EXPECT_LE(captures[id], 1);
      EXPECT_EQ(refunds[id], captures[id]) << "a cancelled order keeps no net charge";
    }
  }
  EXPECT_EQ(TotalStock(system), stock_before) << "stock is conserved";
  EXPECT_EQ(kills, static_cast<std::size_t>(kOrders / 30));
  std::printf("crash e2e: %d orders, %zu SIGKILLs, %zu repeated terminal deliveries, all terminal exactly once\n",
              kOrders, kills, watcher.Redeliveries());
}

}  // namespace
}  // namespace choreo::e2e
