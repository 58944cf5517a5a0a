#include <gtest/gtest.h>

#include <algorithm>

#include "choreo/inventory/decisions.hpp"

namespace choreo::inventory {
namespace {

using contracts::RejectionReason;
using contracts::ReleaseReason;

std::map<std::string, StockLevel> Shelf() {
  return {{"sku-001", {.unit_price_minor = 1250, .currency = "EUR", .available = 100}},
          {"sku-002", {.unit_price_minor = 899, .currency = "EUR", .available = 3}},
          {"sku-out", {.unit_price_minor = 1500, .currency = "EUR", .available = 0}}};
}

TEST(DecideReservationTest, PricesEveryLineFromTheCatalog) {
  auto decision = DecideReservation({{"sku-001", 2}, {"sku-002", 1}}, Shelf());
  ASSERT_TRUE(std::holds_alternative<Hold>(decision));
  const Hold& hold = std::get<Hold>(decision);
  EXPECT_EQ(hold.lines, (std::vector<contracts::PricedLine>{{"sku-001", 2, 1250}, {"sku-002", 1, 899}}));
  EXPECT_EQ(hold.total_minor, 2 * 1250 + 899);
  EXPECT_EQ(hold.currency, "EUR");
  EXPECT_EQ(hold.quantities, (std::map<std::string, std::int64_t>{{"sku-001", 2}, {"sku-002", 1}}));
}

TEST(DecideReservationTest, TakesExactlyWhatIsAvailable) {
  auto decision = DecideReservation({{"sku-002", 3}}, Shelf());
  ASSERT_TRUE(std::holds_alternative<Hold>(decision));
}

TEST(DecideReservationTest, RepeatedSkuLinesAreCheckedTogether) {
  // 2 + 2 of a SKU with 3 left: each line alone would fit, the order does not.
  auto decision = DecideReservation({{"sku-002", 2}, {"sku-001", 1}, {"sku-002", 2}}, Shelf());
  ASSERT_TRUE(std::holds_alternative<Rejection>(decision));
  EXPECT_EQ(std::get<Rejection>(decision).reason, RejectionReason::kInsufficientStock);
  EXPECT_EQ(std::get<Rejection>(decision).skus, std::vector<std::string>{"sku-002"});

  auto fits = DecideReservation({{"sku-002", 1}, {"sku-002", 2}}, Shelf());
  ASSERT_TRUE(std::holds_alternative<Hold>(fits));
  EXPECT_EQ(std::get<Hold>(fits).lines.size(), 2u);  // lines stay as ordered
  EXPECT_EQ(std::get<Hold>(fits).quantities.at("sku-002"), 3);
}

TEST(DecideReservationTest, OneShortLineRejectsTheWholeOrder) {
  auto decision = DecideReservation({{"sku-001", 1}, {"sku-out", 1}}, Shelf());
  ASSERT_TRUE(std::holds_alternative<Rejection>(decision));
  const auto& rejection = std::get<Rejection>(decision);
  EXPECT_EQ(rejection.reason, RejectionReason::kInsufficientStock);
  EXPECT_EQ(rejection.skus, std::vector<std::string>{"sku-out"});
  EXPECT_NE(rejection.details.find("requested 1, available 0"), std::string::npos) << rejection.details;
}

TEST(DecideReservationTest, UnknownSkuWinsOverShortage) {
  auto decision = DecideReservation({{"sku-out", 1}, {"nope", 1}, {"sku-001", 1}, {"alsonot", 2}}, Shelf());
  ASSERT_TRUE(std::holds_alternative<Rejection>(decision));
  const auto& rejection = std::get<Rejection>(decision);
  EXPECT_EQ(rejection.reason, RejectionReason::kUnknownSku);
  EXPECT_EQ(rejection.skus, (std::vector<std::string>{"alsonot", "nope"}));
}

TEST(DecideReservationTest, RefusesWhatTheSchemaForbids) {
  EXPECT_THROW(DecideReservation({}, Shelf()), std::invalid_argument);
  EXPECT_THROW(DecideReservation({{"sku-001", 0}}, Shelf()), std::invalid_argument);
  EXPECT_THROW(DecideReservation({{"sku-001", -1}}, Shelf()), std::invalid_argument);
}

TEST(DecideReservationTest, TotalOverflowIsAnErrorNotAWrap) {
  std::map<std::string, StockLevel> shelf{
      {"big", {.unit_price_minor = INT64_MAX / 2, .currency = "EUR", .available = 10}}};
  EXPECT_THROW(DecideReservation({{"big", 3}}, shelf), std::overflow_error);
}

TEST(DecideReservationTest, MixedCurrenciesCannotBeTotalled) {
  auto shelf = Shelf();
  shelf["sku-usd"] = {.unit_price_minor = 100, .currency = "USD", .available = 5};
  EXPECT_THROW(DecideReservation({{"sku-001", 1}, {"sku-usd", 1}}, shelf), std::invalid_argument);
}

const ReservationStatus kHeld{ReservationState::kHeld, std::nullopt};
const ReservationStatus kCommitted{ReservationState::kCommitted, std::nullopt};
const ReservationStatus kExpired{ReservationState::kReleased, ReleaseReason::kExpired};
const ReservationStatus kDeclined{ReservationState::kReleased, ReleaseReason::kPaymentDeclined};
const ReservationStatus kRestocked{ReservationState::kReleased, ReleaseReason::kShipmentRejected};
const Transition kNothing{};

TEST(TransitionTest, CaptureCommitsAHeldReservation) {
  EXPECT_EQ(OnCaptured(kHeld), (Transition{Action::kCommit, std::nullopt}));
  EXPECT_EQ(Apply(kHeld, OnCaptured(kHeld)).state, ReservationState::kCommitted);
}

TEST(TransitionTest, CaptureAfterExpiryAnnouncesTheExpiryAgainEveryTime) {
  const Transition announce{Action::kAnnounce, ReleaseReason::kExpired};
  EXPECT_EQ(OnCaptured(kExpired), announce);
  // Still released(expired) afterwards, so a repeated capture is answered the same way.
  EXPECT_EQ(OnCaptured(Apply(kExpired, announce)), announce);
}

TEST(TransitionTest, RepeatedOrStaleCapturesDoNothing) {
  EXPECT_EQ(OnCaptured(kCommitted), kNothing);
  EXPECT_EQ(OnCaptured(kDeclined), kNothing);
  EXPECT_EQ(OnCaptured(kRestocked), kNothing);
}

TEST(TransitionTest, DeclineReleasesOnlyAHeldReservation) {
  EXPECT_EQ(OnDeclined(kHeld), (Transition{Action::kRelease, ReleaseReason::kPaymentDeclined}));
  EXPECT_EQ(OnDeclined(kDeclined), kNothing);
  EXPECT_EQ(OnDeclined(kExpired), kNothing);
  EXPECT_EQ(OnDeclined(kCommitted), kNothing);
}

TEST(TransitionTest, DeadlineReleasesOnlyWhatIsStillHeld) {
  EXPECT_EQ(OnDeadline(kHeld), (Transition{Action::kRelease, ReleaseReason::kExpired}));
  EXPECT_EQ(Apply(kHeld, OnDeadline(kHeld)).release_reason, ReleaseReason::kExpired);
  EXPECT_EQ(OnDeadline(kCommitted), kNothing);
  EXPECT_EQ(OnDeadline(kExpired), kNothing);
  EXPECT_EQ(OnDeadline(kDeclined), kNothing);
  EXPECT_EQ(OnDeadline(kRestocked), kNothing);
}

TEST(TransitionTest, DeadlineIsDueOnlyOnceExpiresAtIsReached) {
  const auto expires = std::chrono::system_clock::time_point(std::chrono::hours(1000));
  EXPECT_FALSE(DeadlineDue(expires - std::chrono::milliseconds(1), expires));
  EXPECT_TRUE(DeadlineDue(expires, expires));
  EXPECT_TRUE(DeadlineDue(expires + std::chrono::minutes(5), expires));
}

TEST(TransitionTest, ShipmentRejectionRestocksACommittedReservationOnce) {
  const Transition restock{Action::kRestock, ReleaseReason::kShipmentRejected};
  EXPECT_EQ(OnShipmentRejected(kCommitted), restock);
  const ReservationStatus after = Apply(kCommitted, restock);
  EXPECT_EQ(after.state, ReservationState::kReleased);
  EXPECT_EQ(OnShipmentRejected(after), kNothing);
  EXPECT_EQ(OnShipmentRejected(kHeld), kNothing);
  EXPECT_EQ(OnShipmentRejected(kExpired), kNothing);
}

TEST(TransitionTest, AnyInterleavingEndsInOneTerminalStateWithStockConserved) {
  // Every order of the four reservation events, each delivered twice: the stock of one
  // SKU (10 units, 4 of them for this order) always adds up and ends in a state the
  // first effective event decided.
  enum Event { kCapture, kDecline, kDeadline, kShipReject };
  std::vector<Event> events{kCapture, kDecline, kDeadline, kShipReject, kCapture, kDecline, kDeadline, kShipReject};
  std::sort(events.begin(), events.end());
  int runs = 0;
  do {
    ReservationStatus status = kHeld;
    StockDelta stock{.available = 6, .reserved = 4, .sold = 0};
    for (Event event : events) {
      Transition t = event == kCapture    ? OnCaptured(status)
                     : event == kDecline  ? OnDeclined(status)
                     : event == kDeadline ? OnDeadline(status)
                                          : OnShipmentRejected(status);
      StockDelta d = Delta(t.action, 4);
      stock = {stock.available + d.available, stock.reserved + d.reserved, stock.sold + d.sold};
      ASSERT_GE(stock.available, 0);
      ASSERT_GE(stock.reserved, 0);
      ASSERT_GE(stock.sold, 0);
      ASSERT_EQ(stock.available + stock.reserved + stock.sold, 10);
      status = Apply(status, t);
    }
    // Nothing stays held and nothing stays sold unless the sale stands.
    EXPECT_NE(status.state, ReservationState::kHeld);
    EXPECT_EQ(stock.reserved, 0);
    if (status.state == ReservationState::kCommitted) {
      EXPECT_EQ(stock.sold, 4);
    } else {
      EXPECT_EQ(stock.available, 10);
    }
    ++runs;
  } while (std::next_permutation(events.begin(), events.end()));
  EXPECT_GT(runs, 1000);
}

TEST(TransitionTest, ReserveDeltaConservesStock) {
  StockDelta d = ReserveDelta(7);
  EXPECT_EQ(d.available + d.reserved + d.sold, 0);
  for (Action a : {Action::kCommit, Action::kRelease, Action::kRestock, Action::kAnnounce, Action::kNone}) {
    StockDelta x = Delta(a, 7);
    EXPECT_EQ(x.available + x.reserved + x.sold, 0);
  }
}

TEST(ReservationStateTest, RoundTripsThroughText) {
  for (auto s : {ReservationState::kHeld, ReservationState::kCommitted, ReservationState::kReleased}) {
    EXPECT_EQ(ParseReservationState(ToString(s)), s);
  }
  EXPECT_THROW(ParseReservationState("rejected"), std::invalid_argument);
}

}  // namespace
}  // namespace choreo::inventory
