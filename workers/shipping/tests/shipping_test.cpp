// The shipping decision and its configuration, without I/O.
#include "choreo/shipping/shipping.hpp"

#include <gtest/gtest.h>

namespace choreo::shipping {
namespace {

contracts::InventoryCommitted Committed(std::string country) {
  contracts::InventoryCommitted e;
  e.order_id = "ord-1";
  e.reservation_id = "res-1";
  e.total_minor = 2500;
  e.currency = "EUR";
  e.shipping_address = {.name = "Ada", .line1 = "1 Main St", .city = "X", .postal_code = "1", .country = std::move(country)};
  return e;
}

TEST(ParseCountries, AcceptsCommaSeparatedCodesInAnyCaseWithSpaces) {
  EXPECT_EQ(ParseCountries("de, FR ,nl"), (std::set<std::string>{"DE", "FR", "NL"}));
  EXPECT_EQ(ParseCountries("DE,,DE,"), (std::set<std::string>{"DE"}));
}

TEST(ParseCountries, RejectsWhatIsNotACountryCode) {
  for (const char* list : {"DEU", "D1", "DE,F", "", " , "}) {
    EXPECT_THROW(ParseCountries(list), std::invalid_argument) << '"' << list << '"';
  }
}

TEST(ParseCountries, DefaultServesTheUsualDestinationsButNotAntarctica) {
  const auto countries = ParseCountries(kDefaultCountries);
  for (const char* code : {"DE", "FR", "NL", "GB", "US", "CH"}) EXPECT_TRUE(countries.contains(code)) << code;
  EXPECT_FALSE(countries.contains("AQ"));
  EXPECT_EQ(ShippingConfig{}.countries, countries);
}

TEST(Decide, ServedDestinationIsScheduledWithTheConfiguredCarrier) {
  ShippingConfig config{.countries = ParseCountries("DE"), .carrier = "fastco"};
  const Booking b = Decide(config, Committed("DE"), "2024-05-01T12:00:00.000Z");
  ASSERT_TRUE(b.scheduled.has_value());
  EXPECT_FALSE(b.rejected.has_value());
  EXPECT_EQ(b.scheduled->order_id, "ord-1");
  EXPECT_EQ(b.scheduled->reservation_id, "res-1");
  EXPECT_EQ(b.scheduled->carrier, "fastco");
  EXPECT_EQ(b.scheduled->scheduled_at, "2024-05-01T12:00:00.000Z");
}

TEST(Decide, CountryCaseDoesNotMatter) {
  ShippingConfig config{.countries = ParseCountries("DE")};
  EXPECT_TRUE(Decide(config, Committed("de"), "t").scheduled.has_value());
}

TEST(Decide, OtherDestinationIsRejectedWithReasonAndDetails) {
  const Booking b = Decide(ShippingConfig{}, Committed("AQ"), "2024-05-01T12:00:00.000Z");
  ASSERT_TRUE(b.rejected.has_value());
  EXPECT_FALSE(b.scheduled.has_value());
  EXPECT_EQ(b.rejected->order_id, "ord-1");
  EXPECT_EQ(b.rejected->reservation_id, "res-1");
  EXPECT_EQ(b.rejected->reason, contracts::ShipmentRejectionReason::kUnsupportedDestination);
  EXPECT_EQ(b.rejected->details, "no delivery to AQ");
  EXPECT_EQ(b.rejected->rejected_at, "2024-05-01T12:00:00.000Z");
}

}  // namespace
}  // namespace choreo::shipping
