#pragma once
// Events on the `shipping` exchange.
#include <string>
#include <string_view>
#include <tuple>

#include "choreo/contracts/common_types.hpp"
#include "choreo/contracts/names.hpp"

namespace choreo::contracts {

enum class ShipmentRejectionReason { kUnsupportedDestination };
template <>
struct EnumNames<ShipmentRejectionReason> {
  static constexpr std::array kNames{std::pair{ShipmentRejectionReason::kUnsupportedDestination,
                                               std::string_view("unsupported_destination")}};
};

struct ShipmentScheduled {
  static constexpr std::string_view kType = "shipment.scheduled";
  static constexpr std::string_view kVersion = "1.0";
  static constexpr std::string_view kExchange = exchanges::kShipping;
  static constexpr std::string_view kProducer = components::kShipping;

  std::string order_id;
  std::string reservation_id;
  std::string shipment_id;
  std::string carrier;
  std::string scheduled_at;

  static constexpr auto Fields() {
    return std::tuple{Field("order_id", &ShipmentScheduled::order_id),
                      Field("reservation_id", &ShipmentScheduled::reservation_id),
                      Field("shipment_id", &ShipmentScheduled::shipment_id),
                      Field("carrier", &ShipmentScheduled::carrier),
                      Field("scheduled_at", &ShipmentScheduled::scheduled_at)};
  }
  bool operator==(const ShipmentScheduled&) const = default;
};

// Shipping cannot deliver. reservation_id lets inventory restock; payment refunds by
// order id.
struct ShipmentRejected {
  static constexpr std::string_view kType = "shipment.rejected";
  static constexpr std::string_view kVersion = "1.0";
  static constexpr std::string_view kExchange = exchanges::kShipping;
  static constexpr std::string_view kProducer = components::kShipping;

  std::string order_id;
  std::string reservation_id;
  ShipmentRejectionReason reason = ShipmentRejectionReason::kUnsupportedDestination;
  std::string details;
  std::string rejected_at;

  static constexpr auto Fields() {
    return std::tuple{Field("order_id", &ShipmentRejected::order_id),
                      Field("reservation_id", &ShipmentRejected::reservation_id),
                      Field("reason", &ShipmentRejected::reason),
                      Field("details", &ShipmentRejected::details),
                      Field("rejected_at", &ShipmentRejected::rejected_at)};
  }
  bool operator==(const ShipmentRejected&) const = default;
};

}  // namespace choreo::contracts
