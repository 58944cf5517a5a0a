// The shipping worker in-process against a real broker and store (SQLite and PostgreSQL).
#include "choreo/contracts/events.hpp"
#include "choreo/contracts/time.hpp"
#include "choreo/shipping/shipping.hpp"
#include "choreo/testing/worker_fixture.hpp"

namespace choreo::shipping {
namespace {

using namespace std::chrono_literals;
using contracts::Envelope;
using Poco::Data::Keywords::into;
using testing::DbKind;

contracts::InventoryCommitted Committed(const std::string& order_id, const std::string& country) {
  return {.order_id = order_id, .reservation_id = "res-" + order_id,
          .lines = {{.sku = "sku-001", .quantity = 1, .unit_price_minor = 1250}},
          .total_minor = 1250, .currency = "EUR",
          .shipping_address = {.name = "Ada", .line1 = "1 Main St", .city = "X", .postal_code = "1", .country = country},
          .committed_at = contracts::NowRfc3339()};
}

class ShippingWorkerIt : public testing::WorkerFixture<::testing::TestWithParam<DbKind>> {
 protected:
  void SetUp() override {
    OpenRig("shipping", GetParam());
    ASSERT_TRUE(worker_.Start(RigOptions("shipping"), [](worker::Worker& w) {
      Register(w, ShippingConfig{.countries = ParseCountries("DE,FR"), .carrier = "parcelco"});
    }));
    probe_->Observe("shipping");
  }

  Envelope Publish(const contracts::InventoryCommitted& event) { return probe_->Publish(event); }

  // Everything emitted before the answer to a fresh marker order.
  std::vector<Envelope> DrainUntilMarker() {
    return probe_->DrainUntilAnswered(Committed("marker-" + contracts::NewUuid(), "DE"), 20s);
  }

  int64_t Bookings(const std::string& order_id) {
    Poco::Int64 n = 0;
    worker_->Store().InTransaction([&](store::Tx& tx) {
      tx.Run("SELECT COUNT(*) FROM shipping_bookings WHERE order_id = ?", into(n), order_id);
    });
    return n;
  }
};

TEST_P(ShippingWorkerIt, ServedDestinationIsBookedOnceEvenWhenTheCommitRepeats) {
  const std::string order = contracts::NewUuid();
  const Envelope first = Publish(Committed(order, "FR"));
  Publish(Committed(order, "FR"));  // the same commit under a new message id
  const std::vector<Envelope> out = DrainUntilMarker();

  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, "shipment.scheduled");
  EXPECT_EQ(out[0].correlation_id, order);
  EXPECT_EQ(out[0].causation_id, first.message_id);
  const auto scheduled = contracts::PayloadAs<contracts::ShipmentScheduled>(out[0]);
  EXPECT_EQ(scheduled.reservation_id, "res-" + order);
  EXPECT_EQ(scheduled.carrier, "parcelco");
  EXPECT_FALSE(scheduled.shipment_id.empty());
  EXPECT_EQ(Bookings(order), 1);
  EXPECT_EQ(worker_->Stats().dead_lettered, 0u);
}

TEST_P(ShippingWorkerIt, OtherDestinationIsRejected) {
  const std::string order = contracts::NewUuid();
  Publish(Committed(order, "AQ"));
  const std::vector<Envelope> out = DrainUntilMarker();

  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, "shipment.rejected");
  const auto rejected = contracts::PayloadAs<contracts::ShipmentRejected>(out[0]);
  EXPECT_EQ(rejected.order_id, order);
  EXPECT_EQ(rejected.reservation_id, "res-" + order);
  EXPECT_EQ(rejected.reason, contracts::ShipmentRejectionReason::kUnsupportedDestination);
  EXPECT_EQ(rejected.details, "no delivery to AQ");
  EXPECT_EQ(Bookings(order), 1);  // the decision is kept, so a repeat cannot flip it
}

INSTANTIATE_TEST_SUITE_P(Db, ShippingWorkerIt, testing::EveryStore(), testing::StoreName);

}  // namespace
}  // namespace choreo::shipping
