// The order worker's facts reader against a store built by the worker's own migrations,
// on SQLite and PostgreSQL.
#include "choreo/order/facts.hpp"
#include "choreo/order/order_worker.hpp"
#include "choreo/testing/store_fixture.hpp"

namespace choreo::order {
namespace {

class OrderFacts : public testing::StoreFixture {
 protected:
  void SetUp() override { OpenStore("orderfacts").Migrate("order", Migrations()); }

  void State(const std::string& order_id, const std::string& status, std::optional<std::string> reason,
             std::optional<std::int64_t> total, std::optional<std::string> terminal_at) {
    Exec("INSERT INTO order_states (order_id, status, reason, details, customer_id, total_minor, currency, "
         "shipment_id, sequence, terminal_emitted, terminal_at, created_at, updated_at) "
         "VALUES (?, ?, ?, NULL, 'c-1', ?, 'EUR', NULL, 3, 0, ?, '2026-01-01T00:00:00Z', "
         "'2026-01-01T00:00:05Z')",
         order_id, status, reason, total, terminal_at);
  }
};

constexpr std::int64_t kCreatedMs = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

TEST_P(OrderFacts, ReadsStatusTotalAndTimesOfEveryOrder) {
  EXPECT_TRUE(ReadWith(facts::ReadOrders).empty());
  State("o-2", "paid", std::nullopt, std::nullopt, std::nullopt);
  State("o-1", "cancelled", "payment_declined", 2500, "2026-01-01T00:00:09Z");
  const auto orders = ReadWith(facts::ReadOrders);
  ASSERT_EQ(orders.size(), 2u);
  EXPECT_EQ(orders[0].order_id, "o-1");
  EXPECT_EQ(orders[0].status, "cancelled");
  EXPECT_EQ(orders[0].reason, "payment_declined");
  EXPECT_EQ(orders[0].total_minor, 2500);
  EXPECT_EQ(orders[0].created_at_ms, kCreatedMs);
  EXPECT_EQ(orders[0].changed_at_ms, kCreatedMs + 9000) << "a terminal order changed when it became terminal";
  EXPECT_EQ(orders[1].order_id, "o-2");
  EXPECT_EQ(orders[1].reason, std::nullopt);
  EXPECT_EQ(orders[1].total_minor, std::nullopt);
  EXPECT_EQ(orders[1].changed_at_ms, kCreatedMs + 5000) << "an order in flight changed when it was last updated";
}

INSTANTIATE_TEST_SUITE_P(Stores, OrderFacts, testing::EveryStore(), testing::StoreName);

}  // namespace
}  // namespace choreo::order
