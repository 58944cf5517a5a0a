#pragma once
// Events of one order as its producers would emit them, for the order worker's tests
// (order_worker_it, order_race_it).
#include <string>

#include "choreo/contracts/events.hpp"
#include "choreo/contracts/time.hpp"

namespace choreo::order {

inline contracts::OrderPlaced Placed(const std::string& order_id) {
  contracts::OrderPlaced e;
  e.order_id = order_id;
  e.customer_id = "cust-1001";
  e.lines = {{.sku = "sku-001", .quantity = 2}};
  e.payment = {.method = contracts::PaymentMethod::kCard, .token = "tok_ok"};
  e.shipping_address = {.name = "Ada", .line1 = "1 Main St", .city = "Berlin", .postal_code = "10115", .country = "DE"};
  e.placed_at = contracts::NowRfc3339();
  return e;
}

inline contracts::InventoryReserved Reserved(const std::string& order_id) {
  return {.order_id = order_id, .reservation_id = "res-1",
          .lines = {{.sku = "sku-001", .quantity = 2, .unit_price_minor = 1250}},
          .total_minor = 2500, .currency = "EUR", .expires_at = contracts::NowRfc3339(),
          .payment = {.method = contracts::PaymentMethod::kCard, .token = "tok_ok"}};
}

inline contracts::PaymentCaptured Captured(const std::string& order_id) {
  return {.order_id = order_id, .reservation_id = "res-1", .payment_id = "ch-1", .amount_minor = 2500,
          .currency = "EUR", .captured_at = contracts::NowRfc3339()};
}

inline contracts::InventoryCommitted Committed(const std::string& order_id) {
  return {.order_id = order_id, .reservation_id = "res-1",
          .lines = {{.sku = "sku-001", .quantity = 2, .unit_price_minor = 1250}},
          .total_minor = 2500, .currency = "EUR",
          .shipping_address = {.name = "Ada", .line1 = "1 Main St", .city = "Berlin", .postal_code = "10115", .country = "DE"},
          .committed_at = contracts::NowRfc3339()};
}

inline contracts::ShipmentScheduled Scheduled(const std::string& order_id) {
  return {.order_id = order_id, .reservation_id = "res-1", .shipment_id = "shp-1", .carrier = "parcelco",
          .scheduled_at = contracts::NowRfc3339()};
}

inline contracts::ShipmentRejected RejectedShipment(const std::string& order_id) {
  return {.order_id = order_id, .reservation_id = "res-1", .details = "address not served",
          .rejected_at = contracts::NowRfc3339()};
}

inline contracts::PaymentRefunded Refunded(const std::string& order_id) {
  return {.order_id = order_id, .payment_id = "ch-1", .refund_id = "rf-1", .amount_minor = 2500, .currency = "EUR",
          .reason = contracts::RefundReason::kShipmentRejected, .refunded_at = contracts::NowRfc3339()};
}

}  // namespace choreo::order
