#include "choreo/payment/decisions.hpp"

#include <stdexcept>

namespace choreo::payment {

std::string_view ToString(PaymentStatus status) {
  return status == PaymentStatus::kCaptured ? "captured" : "declined";
}

PaymentStatus ParsePaymentStatus(std::string_view text) {
  if (text == "captured") return PaymentStatus::kCaptured;
  if (text == "declined") return PaymentStatus::kDeclined;
  throw std::invalid_argument("unknown payment status '" + std::string(text) + "'");
}

std::string ChargeKey(std::string_view order_id) { return "charge:" + std::string(order_id); }
std::string RefundKey(std::string_view order_id) { return "refund:" + std::string(order_id); }

bool ShouldCharge(const std::optional<PaymentRecord>& record) { return !record.has_value(); }

std::optional<contracts::RefundReason> RefundReasonFor(const contracts::InventoryReleased& released) {
  if (released.reason == contracts::ReleaseReason::kExpired) return contracts::RefundReason::kReservationExpired;
  return std::nullopt;
}

bool ShouldRefund(const std::optional<PaymentRecord>& record) {
  return record && record->status == PaymentStatus::kCaptured && !record->refund_id;
}

bool ShouldLookUpCharge(const std::optional<PaymentRecord>& record, std::optional<contracts::RefundReason> reason) {
  return !record && reason == contracts::RefundReason::kReservationExpired;
}

bool ShouldRefundUnrecorded(PaymentStatus found) { return found == PaymentStatus::kCaptured; }

}  // namespace choreo::payment
