#include <gtest/gtest.h>

#include "choreo/payment/decisions.hpp"

namespace choreo::payment {
namespace {

using contracts::ReleaseReason;

const PaymentRecord kCaptured{PaymentStatus::kCaptured, "ch_1", std::nullopt};
const PaymentRecord kDeclined{PaymentStatus::kDeclined, "ch_2", std::nullopt};
const PaymentRecord kRefunded{PaymentStatus::kCaptured, "ch_3", "rf_1"};

TEST(PaymentDecisionsTest, KeysAreDerivedFromTheOrderAndTheStep) {
  EXPECT_EQ(ChargeKey("o-1"), "charge:o-1");
  EXPECT_EQ(RefundKey("o-1"), "refund:o-1");
}

TEST(PaymentDecisionsTest, ChargesAnOrderOnlyOnce) {
  EXPECT_TRUE(ShouldCharge(std::nullopt));
  EXPECT_FALSE(ShouldCharge(kCaptured));
  EXPECT_FALSE(ShouldCharge(kDeclined));  // a decline is final for the key, too
  EXPECT_FALSE(ShouldCharge(kRefunded));
}

TEST(PaymentDecisionsTest, RefundsOnlyAnUnrefundedCapture) {
  EXPECT_TRUE(ShouldRefund(kCaptured));
  EXPECT_FALSE(ShouldRefund(std::nullopt));  // not captured (yet)
  EXPECT_FALSE(ShouldRefund(kDeclined));
  EXPECT_FALSE(ShouldRefund(kRefunded));
}

TEST(PaymentDecisionsTest, OnlyAnExpiryReleaseAsksForARefund) {
  contracts::InventoryReleased released;
  released.reason = ReleaseReason::kExpired;
  EXPECT_EQ(RefundReasonFor(released), contracts::RefundReason::kReservationExpired);
  released.reason = ReleaseReason::kPaymentDeclined;
  EXPECT_EQ(RefundReasonFor(released), std::nullopt);
  released.reason = ReleaseReason::kShipmentRejected;  // refunded on shipment.rejected itself
  EXPECT_EQ(RefundReasonFor(released), std::nullopt);
}

TEST(PaymentDecisionsTest, AsksTheProviderOnlyWhenAnExpiryFindsNoPaymentOnRecord) {
  using contracts::RefundReason;
  EXPECT_TRUE(ShouldLookUpCharge(std::nullopt, RefundReason::kReservationExpired));
  // A record already tells the outcome of the charge.
  EXPECT_FALSE(ShouldLookUpCharge(kCaptured, RefundReason::kReservationExpired));
  EXPECT_FALSE(ShouldLookUpCharge(kDeclined, RefundReason::kReservationExpired));
  EXPECT_FALSE(ShouldLookUpCharge(kRefunded, RefundReason::kReservationExpired));
  // A shipment is only ever scheduled after payment.captured, so a record exists.
  EXPECT_FALSE(ShouldLookUpCharge(std::nullopt, RefundReason::kShipmentRejected));
  EXPECT_FALSE(ShouldLookUpCharge(std::nullopt, std::nullopt));
}

TEST(PaymentDecisionsTest, RefundsAnUnrecordedChargeOnlyIfItWasCaptured) {
  EXPECT_TRUE(ShouldRefundUnrecorded(PaymentStatus::kCaptured));
  EXPECT_FALSE(ShouldRefundUnrecorded(PaymentStatus::kDeclined));
}

TEST(PaymentDecisionsTest, StatusRoundTripsThroughText) {
  EXPECT_EQ(ParsePaymentStatus(ToString(PaymentStatus::kCaptured)), PaymentStatus::kCaptured);
  EXPECT_EQ(ParsePaymentStatus(ToString(PaymentStatus::kDeclined)), PaymentStatus::kDeclined);
  EXPECT_THROW(ParsePaymentStatus("refunded"), std::invalid_argument);
}

}  // namespace
}  // namespace choreo::payment
