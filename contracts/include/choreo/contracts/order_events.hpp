#pragma once
// Events on the `orders` exchange: the order as the client placed it (from the gateway)
// and the order worker's state machine.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "choreo/contracts/common_types.hpp"
#include "choreo/contracts/names.hpp"

namespace choreo::contracts {

enum class OrderStatus { kPlaced, kReserved, kPaid, kConfirmed, kCancelled };
template <>
struct EnumNames<OrderStatus> {
  static constexpr std::array kNames{
      std::pair{OrderStatus::kPlaced, std::string_view("placed")},
      std::pair{OrderStatus::kReserved, std::string_view("reserved")},
      std::pair{OrderStatus::kPaid, std::string_view("paid")},
      std::pair{OrderStatus::kConfirmed, std::string_view("confirmed")},
      std::pair{OrderStatus::kCancelled, std::string_view("cancelled")}};
};

enum class CancelReason {
  kInsufficientStock,
  kUnknownSku,
  kPaymentDeclined,
  kReservationExpired,
  kShipmentRejected
};
template <>
struct EnumNames<CancelReason> {
  static constexpr std::array kNames{
      std::pair{CancelReason::kInsufficientStock, std::string_view("insufficient_stock")},
      std::pair{CancelReason::kUnknownSku, std::string_view("unknown_sku")},
      std::pair{CancelReason::kPaymentDeclined, std::string_view("payment_declined")},
      std::pair{CancelReason::kReservationExpired, std::string_view("reservation_expired")},
      std::pair{CancelReason::kShipmentRejected, std::string_view("shipment_rejected")}};
};

// The gateway accepted an order. Carries everything later steps need (payment details
// for payment, the address for shipping), because no worker reads another's tables.
struct OrderPlaced {
  static constexpr std::string_view kType = "order.placed";
  static constexpr std::string_view kVersion = "1.0";
  static constexpr std::string_view kExchange = exchanges::kOrders;
  static constexpr std::string_view kProducer = components::kGateway;

  std::string order_id;
  std::string customer_id;
  std::vector<OrderLine> lines;
  PaymentDetails payment;
  Address shipping_address;
  std::string placed_at;  // RFC 3339 UTC

  static constexpr auto Fields() {
    return std::tuple{Field("order_id", &OrderPlaced::order_id),
                      Field("customer_id", &OrderPlaced::customer_id),
                      Field("lines", &OrderPlaced::lines),
                      Field("payment", &OrderPlaced::payment),
                      Field("shipping_address", &OrderPlaced::shipping_address),
                      Field("placed_at", &OrderPlaced::placed_at)};
  }
  bool operator==(const OrderPlaced&) const = default;
};

// One per transition of the order state machine; feeds the gateway's read model.
// `sequence` counts transitions of this order (1 for the first) so a reader can drop a
// late, older update instead of moving the status backwards.
struct OrderStatusChanged {
  static constexpr std::string_view kType = "order.status_changed";
  static constexpr std::string_view kVersion = "1.0";
  static constexpr std::string_view kExchange = exchanges::kOrders;
  static constexpr std::string_view kProducer = components::kOrder;

  std::string order_id;
  std::int64_t sequence = 0;
  std::optional<OrderStatus> from;  // absent for the first transition (into placed)
  OrderStatus to = OrderStatus::kPlaced;
  std::optional<CancelReason> reason;        // set when `to` is cancelled
  std::optional<std::int64_t> total_minor;   // known once inventory priced the order
  std::optional<std::string> currency;
  std::string at;

  static constexpr auto Fields() {
    return std::tuple{Field("order_id", &OrderStatusChanged::order_id),
                      Field("sequence", &OrderStatusChanged::sequence),
                      Field("from", &OrderStatusChanged::from),
                      Field("to", &OrderStatusChanged::to),
                      Field("reason", &OrderStatusChanged::reason),
                      Field("total_minor", &OrderStatusChanged::total_minor),
                      Field("currency", &OrderStatusChanged::currency),
                      Field("at", &OrderStatusChanged::at)};
  }
  bool operator==(const OrderStatusChanged&) const = default;
};

// Terminal: the order is paid and a shipment is booked. Carries the recipient so
// notification can mail without asking anyone.
struct OrderConfirmed {
  static constexpr std::string_view kType = "order.confirmed";
  static constexpr std::string_view kVersion = "1.0";
  static constexpr std::string_view kExchange = exchanges::kOrders;
  static constexpr std::string_view kProducer = components::kOrder;

  std::string order_id;
  std::string customer_id;
  std::int64_t total_minor = 0;
  std::string currency;
  std::string shipment_id;
  std::string confirmed_at;

  static constexpr auto Fields() {
    return std::tuple{Field("order_id", &OrderConfirmed::order_id),
                      Field("customer_id", &OrderConfirmed::customer_id),
                      Field("total_minor", &OrderConfirmed::total_minor),
                      Field("currency", &OrderConfirmed::currency),
                      Field("shipment_id", &OrderConfirmed::shipment_id),
                      Field("confirmed_at", &OrderConfirmed::confirmed_at)};
  }
  bool operator==(const OrderConfirmed&) const = default;
};

// Terminal: the order will not be fulfilled. Any compensation (release, refund) is
// triggered by the events that caused this, not by this event.
struct OrderCancelled {
  static constexpr std::string_view kType = "order.cancelled";
  static constexpr std::string_view kVersion = "1.0";
  static constexpr std::string_view kExchange = exchanges::kOrders;
  static constexpr std::string_view kProducer = components::kOrder;

  std::string order_id;
  std::string customer_id;
  CancelReason reason = CancelReason::kInsufficientStock;
  std::optional<std::string> details;  // human-readable, for the e-mail and support
  std::string cancelled_at;

  static constexpr auto Fields() {
    return std::tuple{Field("order_id", &OrderCancelled::order_id),
                      Field("customer_id", &OrderCancelled::customer_id),
                      Field("reason", &OrderCancelled::reason),
                      Field("details", &OrderCancelled::details),
                      Field("cancelled_at", &OrderCancelled::cancelled_at)};
  }
  bool operator==(const OrderCancelled&) const = default;
};

}  // namespace choreo::contracts
