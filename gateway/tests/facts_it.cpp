// The gateway's facts reader against a store built by the gateway's own migrations, on
// SQLite and PostgreSQL.
#include "choreo/gateway/facts.hpp"
#include "choreo/gateway/read_model.hpp"
#include "choreo/testing/store_fixture.hpp"

namespace choreo::gateway {
namespace {

class GatewayFacts : public testing::StoreFixture {
 protected:
  void SetUp() override { OpenStore("gwfacts").Migrate("gateway", Migrations()); }

  void Accept(const std::string& order_id, std::int64_t created_at_ms) {
    store_->InTransaction([&](store::Tx& tx) {
      tx.Run(
          "INSERT INTO gateway_orders (order_id, customer_id, request_json, idempotency_key, placed_at, "
          "created_at_ms) VALUES (?, 'c-1', '{}', NULL, '2026-01-01T00:00:00Z', ?)",
          order_id, created_at_ms);
      RecordPlaced(tx, order_id, "2026-01-01T00:00:00Z");
    });
  }
};

TEST_P(GatewayFacts, ReadsEveryAcceptedOrderByOrderId) {
  EXPECT_TRUE(ReadWith(facts::ReadAcceptedOrders).empty());
  Accept("o-2", 2000);
  Accept("o-1", 1000);
  const auto orders = ReadWith(facts::ReadAcceptedOrders);
  ASSERT_EQ(orders.size(), 2u);
  EXPECT_EQ(orders[0].order_id, "o-1");
  EXPECT_EQ(orders[0].created_at_ms, 1000);
  EXPECT_EQ(orders[1].order_id, "o-2");
  EXPECT_EQ(orders[1].created_at_ms, 2000);
}

INSTANTIATE_TEST_SUITE_P(Stores, GatewayFacts, testing::EveryStore(), testing::StoreName);

}  // namespace
}  // namespace choreo::gateway
