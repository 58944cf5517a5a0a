#pragma once
// The event the runtime tests feed their "shipping" worker: it is the only event that
// worker subscribes to (contracts/topology), so every runtime test sends this one.
#include <string>

#include "choreo/contracts/events.hpp"
#include "choreo/contracts/time.hpp"

namespace choreo::worker::test {

inline contracts::InventoryCommitted Committed(const std::string& order_id) {
  contracts::InventoryCommitted e;
  e.order_id = order_id;
  e.reservation_id = "res-1";
  e.lines = {{.sku = "sku-001", .quantity = 2, .unit_price_minor = 1250}};
  e.total_minor = 2500;
  e.currency = "EUR";
  e.shipping_address = {.name = "Ada", .line1 = "1 Main St", .city = "Berlin", .postal_code = "10115", .country = "DE"};
  e.committed_at = contracts::NowRfc3339();
  return e;
}

}  // namespace choreo::worker::test
