#pragma once
// What the inventory worker's store says about stock and reservations, for readers
// outside the worker (choreo-admin audit). The SQL lives in src/facts.cpp, next to the
// migrations in src/inventory.cpp, and inventory_facts_it runs it against a store those
// migrations built: a schema change that breaks the reader fails inventory's own tests.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "choreo/store/store.hpp"

namespace choreo::inventory::facts {

struct StockRecord {  // inventory_stock
  std::string sku;
  std::int64_t total = 0;
  std::int64_t available = 0;
  std::int64_t reserved = 0;
  std::int64_t sold = 0;
};

struct ReservationRecord {  // inventory_reservations + inventory_reservation_lines
  std::string order_id;
  std::string state;  // held, committed, released
  std::optional<std::string> release_reason;
  std::map<std::string, std::int64_t> quantities;  // per SKU, repeated SKUs summed
};

struct InventoryFacts {
  std::vector<StockRecord> stock;               // ordered by SKU
  std::vector<ReservationRecord> reservations;  // ordered by order id
  std::vector<std::string> rejected_orders;     // inventory_rejections, ordered
};

InventoryFacts ReadInventory(store::Tx& tx);

}  // namespace choreo::inventory::facts
