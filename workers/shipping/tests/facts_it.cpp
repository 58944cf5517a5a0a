// The shipping worker's facts reader against a store built by the worker's own
// migrations, on SQLite and PostgreSQL.
#include "choreo/shipping/facts.hpp"
#include "choreo/shipping/shipping.hpp"
#include "choreo/testing/store_fixture.hpp"

namespace choreo::shipping {
namespace {

class ShippingFacts : public testing::StoreFixture {
 protected:
  void SetUp() override { OpenStore("shipfacts").Migrate("shipping", Migrations()); }

  void Booking(const std::string& order_id, const std::string& outcome) {
    Exec("INSERT INTO shipping_bookings (order_id, reservation_id, outcome, shipment_id, carrier, country, "
         "decided_at) VALUES (?, ?, ?, NULL, NULL, 'DE', '2026-01-01T00:00:00Z')",
         order_id, "res-" + order_id, outcome);
  }
};

TEST_P(ShippingFacts, ReadsEveryBookingDecision) {
  EXPECT_TRUE(ReadWith(facts::ReadShipments).empty());
  Booking("o-2", "rejected");
  Booking("o-1", "scheduled");
  // (order id, outcome), ordered by order id.
  std::vector<std::pair<std::string, std::string>> read;
  for (const auto& b : ReadWith(facts::ReadShipments)) read.emplace_back(b.order_id, b.outcome);
  EXPECT_EQ(read, (std::vector<std::pair<std::string, std::string>>{{"o-1", "scheduled"}, {"o-2", "rejected"}}));
}

INSTANTIATE_TEST_SUITE_P(Stores, ShippingFacts, testing::EveryStore(), testing::StoreName);

}  // namespace
}  // namespace choreo::shipping
