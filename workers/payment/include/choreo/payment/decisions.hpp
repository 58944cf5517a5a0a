#pragma once
// Payment's decisions as pure functions of what it has on record for an order, so that
// repeated, late and out-of-order events are unit-tested without a provider or a store.
#include <optional>
#include <string>
#include <string_view>

#include "choreo/contracts/inventory_events.hpp"
#include "choreo/contracts/payment_events.hpp"

namespace choreo::payment {

enum class PaymentStatus { kCaptured, kDeclined };

std::string_view ToString(PaymentStatus status);
// Throws std::invalid_argument for anything but "captured" and "declined".
PaymentStatus ParsePaymentStatus(std::string_view text);

// What payment keeps per order.
struct PaymentRecord {
  PaymentStatus status = PaymentStatus::kDeclined;
  std::string charge_id;
  std::optional<std::string> refund_id;  // set once the capture was refunded
};

// Idempotency keys at the provider (docs/architecture.md, Delivery guarantees): one charge
// and at most one refund per order, whichever event asks and however often.
std::string ChargeKey(std::string_view order_id);
std::string RefundKey(std::string_view order_id);

// inventory.reserved: charge unless this order was already charged (a repeated reserved
// gets nothing new: the first result was already announced).
bool ShouldCharge(const std::optional<PaymentRecord>& record);

// Why inventory.released asks for a refund: only an expiry can leave payment holding
// money for stock that is gone (a decline took none; shipment.rejected is handled on its
// own event).
std::optional<contracts::RefundReason> RefundReasonFor(const contracts::InventoryReleased& released);

// A refund is due for a capture not yet refunded. Nothing captured (yet) means nothing to
// give back: should the capture still come, inventory answers it with another
// released(expired).
bool ShouldRefund(const std::optional<PaymentRecord>& record);

// With no payment on record, the outcome of the order's charge is unknown: the provider
// may have captured it while payment never recorded the answer (killed between the call
// and its commit, or inventory.reserved dead-lettered after the capture). Only an expiry
// must then ask the provider: it is the one refund trigger that can come without
// payment.captured (a shipment needs the capture first), and nothing after it would ever
// tell payment about that money again.
bool ShouldLookUpCharge(const std::optional<PaymentRecord>& record, std::optional<contracts::RefundReason> reason);

// A charge found at the provider that payment never recorded is refunded in full when it
// was captured; a decline took no money.
bool ShouldRefundUnrecorded(PaymentStatus found);

}  // namespace choreo::payment
