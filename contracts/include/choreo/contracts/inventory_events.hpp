#pragma once
// Events on the `inventory` exchange. Inventory owns the catalog and its prices, so the
// priced lines and the total originate here.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "choreo/contracts/common_types.hpp"
#include "choreo/contracts/names.hpp"

namespace choreo::contracts {

enum class RejectionReason { kInsufficientStock, kUnknownSku };
template <>
struct EnumNames<RejectionReason> {
  static constexpr std::array kNames{
      std::pair{RejectionReason::kInsufficientStock, std::string_view("insufficient_stock")},
      std::pair{RejectionReason::kUnknownSku, std::string_view("unknown_sku")}};
};

enum class ReleaseReason { kExpired, kPaymentDeclined, kShipmentRejected };
template <>
struct EnumNames<ReleaseReason> {
  static constexpr std::array kNames{
      std::pair{ReleaseReason::kExpired, std::string_view("expired")},
      std::pair{ReleaseReason::kPaymentDeclined, std::string_view("payment_declined")},
      std::pair{ReleaseReason::kShipmentRejected, std::string_view("shipment_rejected")}};
};

// All lines are held and priced. Carries the payment details because payment, the next
// step, has no other way to learn them.
struct InventoryReserved {
  static constexpr std::string_view kType = "inventory.reserved";
  static constexpr std::string_view kVersion = "1.0";
  static constexpr std::string_view kExchange = exchanges::kInventory;
  static constexpr std::string_view kProducer = components::kInventory;

  std::string order_id;
  std::string reservation_id;
  std::vector<PricedLine> lines;
  std::int64_t total_minor = 0;
  std::string currency;
  std::string expires_at;  // the hold ends here unless payment is captured first
  PaymentDetails payment;

  static constexpr auto Fields() {
    return std::tuple{Field("order_id", &InventoryReserved::order_id),
                      Field("reservation_id", &InventoryReserved::reservation_id),
                      Field("lines", &InventoryReserved::lines),
                      Field("total_minor", &InventoryReserved::total_minor),
                      Field("currency", &InventoryReserved::currency),
                      Field("expires_at", &InventoryReserved::expires_at),
                      Field("payment", &InventoryReserved::payment)};
  }
  bool operator==(const InventoryReserved&) const = default;
};

// Nothing was reserved (all or nothing). `skus` names the offending lines.
struct InventoryRejected {
  static constexpr std::string_view kType = "inventory.rejected";
  static constexpr std::string_view kVersion = "1.0";
  static constexpr std::string_view kExchange = exchanges::kInventory;
  static constexpr std::string_view kProducer = components::kInventory;

  std::string order_id;
  RejectionReason reason = RejectionReason::kInsufficientStock;
  std::vector<std::string> skus;
  std::string details;
  std::string rejected_at;

  static constexpr auto Fields() {
    return std::tuple{Field("order_id", &InventoryRejected::order_id),
                      Field("reason", &InventoryRejected::reason),
                      Field("skus", &InventoryRejected::skus),
                      Field("details", &InventoryRejected::details),
                      Field("rejected_at", &InventoryRejected::rejected_at)};
  }
  bool operator==(const InventoryRejected&) const = default;
};

// The reservation became a sale. Carries what shipping needs to book the parcel; inventory
// kept the address from order.placed for exactly this.
struct InventoryCommitted {
  static constexpr std::string_view kType = "inventory.committed";
  static constexpr std::string_view kVersion = "1.0";
  static constexpr std::string_view kExchange = exchanges::kInventory;
  static constexpr std::string_view kProducer = components::kInventory;

  std::string order_id;
  std::string reservation_id;
  std::vector<PricedLine> lines;
  std::int64_t total_minor = 0;
  std::string currency;
  Address shipping_address;
  std::string committed_at;

  static constexpr auto Fields() {
    return std::tuple{Field("order_id", &InventoryCommitted::order_id),
                      Field("reservation_id", &InventoryCommitted::reservation_id),
                      Field("lines", &InventoryCommitted::lines),
                      Field("total_minor", &InventoryCommitted::total_minor),
                      Field("currency", &InventoryCommitted::currency),
                      Field("shipping_address", &InventoryCommitted::shipping_address),
                      Field("committed_at", &InventoryCommitted::committed_at)};
  }
  bool operator==(const InventoryCommitted&) const = default;
};

// Stock went back on the shelf. With reason expired after a capture, payment refunds.
struct InventoryReleased {
  static constexpr std::string_view kType = "inventory.released";
  static constexpr std::string_view kVersion = "1.0";
  static constexpr std::string_view kExchange = exchanges::kInventory;
  static constexpr std::string_view kProducer = components::kInventory;

  std::string order_id;
  std::string reservation_id;
  ReleaseReason reason = ReleaseReason::kExpired;
  std::vector<OrderLine> lines;
  std::string released_at;

  static constexpr auto Fields() {
    return std::tuple{Field("order_id", &InventoryReleased::order_id),
                      Field("reservation_id", &InventoryReleased::reservation_id),
                      Field("reason", &InventoryReleased::reason),
                      Field("lines", &InventoryReleased::lines),
                      Field("released_at", &InventoryReleased::released_at)};
  }
  bool operator==(const InventoryReleased&) const = default;
};

// Inventory's timer to itself, written to its outbox with the reservation. It is
// published to a delay queue and reaches the inventory work queue only once the hold is
// over (ToAmqpProperties sets the per-message expiration from expires_at), so the
// deadline survives any crash. Not a business event: nobody else subscribes.
struct ReservationDeadline {
  static constexpr std::string_view kType = "inventory.reservation_deadline";
  static constexpr std::string_view kVersion = "1.0";
  static constexpr std::string_view kExchange = exchanges::kInventory;
  static constexpr std::string_view kProducer = components::kInventory;

  std::string order_id;
  std::string reservation_id;
  std::string expires_at;

  static constexpr auto Fields() {
    return std::tuple{Field("order_id", &ReservationDeadline::order_id),
                      Field("reservation_id", &ReservationDeadline::reservation_id),
                      Field("expires_at", &ReservationDeadline::expires_at)};
  }
  bool operator==(const ReservationDeadline&) const = default;
};

}  // namespace choreo::contracts
