// The shipping worker's facts reader against a store built by the worker's own
// migrations, on SQLite and PostgreSQL.
#include <gtest/gtest.h>

#include "choreo/shipping/facts.hpp"
#include "choreo/shipping/shipping.hpp"
#include "choreo/testing/test_database.hpp"

namespace choreo::shipping {
namespace {

using testing::DbKind;

class ShippingFacts : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    db_ = std::make_unique<testing::TestDatabase>(GetParam(), "shipfacts");
    store_ = std::make_unique<store::Store>(db_->Url());
    store_->Migrate("shipping", Migrations());
  }

  void Booking(const std::string& order_id, const std::string& outcome) {
    store_->InTransaction([&](store::Tx& tx) {
      tx.Run(
          "INSERT INTO shipping_bookings (order_id, reservation_id, outcome, shipment_id, carrier, country, "
          "decided_at) VALUES (?, ?, ?, NULL, NULL, 'DE', '2026-01-01T00:00:00Z')",
          order_id, "res-" + order_id, outcome);
    });
  }

  std::vector<facts::ShipmentRecord> Read() {
    return store_->InTransaction([](store::Tx& tx) { return facts::ReadShipments(tx); });
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<store::Store> store_;
};

TEST_P(ShippingFacts, ReadsEveryBookingDecision) {
  EXPECT_TRUE(Read().empty());
  Booking("o-2", "rejected");
  Booking("o-1", "scheduled");
  const auto bookings = Read();
  ASSERT_EQ(bookings.size(), 2u);
  EXPECT_EQ(bookings[0].order_id, "o-1");
  EXPECT_EQ(bookings[0].outcome, "scheduled");
  EXPECT_EQ(bookings[1].order_id, "o-2");
  EXPECT_EQ(bookings[1].outcome, "rejected");
}

INSTANTIATE_TEST_SUITE_P(Stores, ShippingFacts, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return testing::DbKindName(info.param); });

}  // namespace
}  // namespace choreo::shipping
