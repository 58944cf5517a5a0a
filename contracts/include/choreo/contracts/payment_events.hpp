#pragma once
// Events on the `payments` exchange.
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>

#include "choreo/contracts/common_types.hpp"
#include "choreo/contracts/names.hpp"

namespace choreo::contracts {

enum class RefundReason { kShipmentRejected, kReservationExpired };
template <>
struct EnumNames<RefundReason> {
  static constexpr std::array kNames{
      std::pair{RefundReason::kShipmentRejected, std::string_view("shipment_rejected")},
      std::pair{RefundReason::kReservationExpired, std::string_view("reservation_expired")}};
};

// The provider took the money. reservation_id lets inventory commit without a lookup.
struct PaymentCaptured {
  static constexpr std::string_view kType = "payment.captured";
  static constexpr std::string_view kVersion = "1.0";
  static constexpr std::string_view kExchange = exchanges::kPayments;
  static constexpr std::string_view kProducer = components::kPayment;

  std::string order_id;
  std::string reservation_id;
  std::string payment_id;  // the provider's id of the charge
  std::int64_t amount_minor = 0;
  std::string currency;
  std::string captured_at;

  static constexpr auto Fields() {
    return std::tuple{Field("order_id", &PaymentCaptured::order_id),
                      Field("reservation_id", &PaymentCaptured::reservation_id),
                      Field("payment_id", &PaymentCaptured::payment_id),
                      Field("amount_minor", &PaymentCaptured::amount_minor),
                      Field("currency", &PaymentCaptured::currency),
                      Field("captured_at", &PaymentCaptured::captured_at)};
  }
  bool operator==(const PaymentCaptured&) const = default;
};

// The provider refused for good (transient provider failures are retried, not declined).
// `reason` is the provider's wording: an open set, hence a string, not an enum.
struct PaymentDeclined {
  static constexpr std::string_view kType = "payment.declined";
  static constexpr std::string_view kVersion = "1.0";
  static constexpr std::string_view kExchange = exchanges::kPayments;
  static constexpr std::string_view kProducer = components::kPayment;

  std::string order_id;
  std::string reservation_id;
  std::int64_t amount_minor = 0;
  std::string currency;
  std::string reason;
  std::string declined_at;

  static constexpr auto Fields() {
    return std::tuple{Field("order_id", &PaymentDeclined::order_id),
                      Field("reservation_id", &PaymentDeclined::reservation_id),
                      Field("amount_minor", &PaymentDeclined::amount_minor),
                      Field("currency", &PaymentDeclined::currency),
                      Field("reason", &PaymentDeclined::reason),
                      Field("declined_at", &PaymentDeclined::declined_at)};
  }
  bool operator==(const PaymentDeclined&) const = default;
};

struct PaymentRefunded {
  static constexpr std::string_view kType = "payment.refunded";
  static constexpr std::string_view kVersion = "1.0";
  static constexpr std::string_view kExchange = exchanges::kPayments;
  static constexpr std::string_view kProducer = components::kPayment;

  std::string order_id;
  std::string payment_id;
  std::string refund_id;
  std::int64_t amount_minor = 0;
  std::string currency;
  RefundReason reason = RefundReason::kShipmentRejected;
  std::string refunded_at;

  static constexpr auto Fields() {
    return std::tuple{Field("order_id", &PaymentRefunded::order_id),
                      Field("payment_id", &PaymentRefunded::payment_id),
                      Field("refund_id", &PaymentRefunded::refund_id),
                      Field("amount_minor", &PaymentRefunded::amount_minor),
                      Field("currency", &PaymentRefunded::currency),
                      Field("reason", &PaymentRefunded::reason),
                      Field("refunded_at", &PaymentRefunded::refunded_at)};
  }
  bool operator==(const PaymentRefunded&) const = default;
};

}  // namespace choreo::contracts
