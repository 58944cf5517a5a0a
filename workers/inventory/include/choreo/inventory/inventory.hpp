#pragma once
// The inventory worker: owns the catalog and the stock, holds stock for orders until they
// are paid, commits or releases it (docs/architecture.md, The order flow).
//
//   order.placed        -> inventory.reserved (+ its own reservation deadline) | inventory.rejected
//   payment.captured    -> inventory.committed, or released(expired) if the hold already ended
//   payment.declined    -> inventory.released(payment_declined)
//   reservation deadline-> inventory.released(expired) while still held
//   shipment.rejected   -> inventory.released(shipment_rejected), stock back on the shelf
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "choreo/config/options.hpp"
#include "choreo/inventory/catalog.hpp"
#include "choreo/store/store.hpp"
#include "choreo/worker/worker.hpp"

namespace choreo::inventory {

inline constexpr std::string_view kDefaultCatalogPath = "infra/catalog.json";
inline constexpr std::chrono::milliseconds kDefaultReservationTtl = std::chrono::minutes(5);

struct InventoryOptions {
  std::vector<CatalogItem> catalog;  // seeded into an empty store
  // How long stock stays held for an unpaid order.
  std::chrono::milliseconds reservation_ttl = kDefaultReservationTtl;

  // Throws std::invalid_argument naming the offending field.
  void Validate() const;
};

// The worker's schema (component "inventory").
std::vector<store::Migration> Migrations();

// Writes `catalog` and its initial stock only into an empty catalog, so a restart never
// resets live stock (nor does a second replica starting at the same time). Returns the
// number of items written.
std::size_t SeedCatalog(store::Tx& tx, const std::vector<CatalogItem>& catalog);

// The stock counters of one SKU. total = available + reserved + sold at every commit (a
// CHECK constraint holds the store to it).
struct StockRow {
  std::string sku;
  std::int64_t total = 0;
  std::int64_t available = 0;
  std::int64_t reserved = 0;
  std::int64_t sold = 0;
};
std::vector<StockRow> ReadStock(store::Tx& tx);  // ordered by SKU

// Registers migrations, the seeding start hook and the handlers. Throws
// std::invalid_argument for invalid options.
void Register(worker::Worker& worker, InventoryOptions options);

// --catalog / CHOREO_CATALOG and --reservation-ttl / CHOREO_RESERVATION_TTL.
void AddFlags(config::Options& flags);
// Reads the flags added by AddFlags and loads the catalog file. Throws
// std::invalid_argument (config::UsageError for malformed durations).
InventoryOptions OptionsFromFlags(const config::Options& flags);

}  // namespace choreo::inventory
