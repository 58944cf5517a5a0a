// The inventory worker's facts reader against a store built by the worker's own
// migrations and seeded by its own SeedCatalog, on SQLite and PostgreSQL.
#include "choreo/inventory/facts.hpp"
#include "choreo/inventory/inventory.hpp"
#include "choreo/testing/store_fixture.hpp"

namespace choreo::inventory {
namespace {

class InventoryFacts : public testing::StoreFixture {
 protected:
  void SetUp() override {
    OpenStore("invfacts").Migrate("inventory", Migrations());
    store_->InTransaction([](store::Tx& tx) {
      SeedCatalog(tx, {{"sku-a", "A", 1250, "EUR", 10}, {"sku-b", "B", 450, "EUR", 5}});
    });
  }

  void Reservation(const std::string& order_id, const std::string& state, std::optional<std::string> reason,
                   const std::vector<std::pair<std::string, std::int64_t>>& lines) {
    store_->InTransaction([&](store::Tx& tx) {
      tx.Run(
          "INSERT INTO inventory_reservations (order_id, reservation_id, state, release_reason, total_minor, "
          "currency, expires_at, shipping_address, created_at, updated_at) VALUES (?, ?, ?, ?, 0, 'EUR', "
          "'2026-01-01T00:05:00Z', '{}', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
          order_id, "res-" + order_id, state, reason);
      std::int64_t line_no = 0;
      for (const auto& [sku, quantity] : lines) {
        tx.Run(
            "INSERT INTO inventory_reservation_lines (order_id, line_no, sku, quantity, unit_price_minor) "
            "VALUES (?, ?, ?, ?, 100)",
            order_id, line_no++, sku, quantity);
      }
    });
  }
};

TEST_P(InventoryFacts, ReadsStockReservationsWithTheirLinesAndRejections) {
  store_->InTransaction([](store::Tx& tx) {
    tx.Run("UPDATE inventory_stock SET available = 7, reserved = 1, sold = 2 WHERE sku = 'sku-a'");
    tx.Run(
        "INSERT INTO inventory_rejections (order_id, reason, skus, details, rejected_at) "
        "VALUES ('o-3', 'insufficient_stock', '[\"sku-b\"]', 'x', '2026-01-01T00:00:00Z')");
  });
  Reservation("o-2", "held", std::nullopt, {{"sku-a", 1}});
  // Two lines of one SKU are summed.
  Reservation("o-1", "released", "expired", {{"sku-a", 2}, {"sku-b", 1}, {"sku-a", 3}});

  const facts::InventoryFacts read = ReadWith(facts::ReadInventory);
  ASSERT_EQ(read.stock.size(), 2u);
  EXPECT_EQ(read.stock[0].sku, "sku-a");
  EXPECT_EQ(read.stock[0].total, 10);
  EXPECT_EQ(read.stock[0].available, 7);
  EXPECT_EQ(read.stock[0].reserved, 1);
  EXPECT_EQ(read.stock[0].sold, 2);
  EXPECT_EQ(read.stock[1].sku, "sku-b");
  EXPECT_EQ(read.stock[1].available, 5);

  ASSERT_EQ(read.reservations.size(), 2u);
  EXPECT_EQ(read.reservations[0].order_id, "o-1");
  EXPECT_EQ(read.reservations[0].state, "released");
  EXPECT_EQ(read.reservations[0].release_reason, "expired");
  EXPECT_EQ(read.reservations[0].quantities, (std::map<std::string, std::int64_t>{{"sku-a", 5}, {"sku-b", 1}}));
  EXPECT_EQ(read.reservations[1].order_id, "o-2");
  EXPECT_EQ(read.reservations[1].release_reason, std::nullopt);
  EXPECT_EQ(read.reservations[1].quantities, (std::map<std::string, std::int64_t>{{"sku-a", 1}}));

  EXPECT_EQ(read.rejected_orders, std::vector<std::string>{"o-3"});
}

INSTANTIATE_TEST_SUITE_P(Stores, InventoryFacts, testing::EveryStore(), testing::StoreName);

}  // namespace
}  // namespace choreo::inventory
