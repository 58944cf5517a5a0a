#pragma once
// The catalog inventory seeds its store from (infra/catalog.json): what can be sold, at
// which price and how many. Prices live here and nowhere else, so clients never send them.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace choreo::inventory {

struct CatalogItem {
  std::string sku;
  std::string name;
  std::int64_t unit_price_minor = 0;
  std::string currency;
  std::int64_t stock = 0;  // initial stock, used only when the store is seeded

  bool operator==(const CatalogItem&) const = default;
};

// Parses {"items": [{"sku", "name", "unit_price_minor", "currency", "stock"}, ...]}.
// Throws std::invalid_argument naming the offending item: duplicate or empty SKUs,
// negative prices or stock, malformed currency codes, and catalogs that mix currencies
// (a reservation has one currency, so an order could otherwise not be totalled).
std::vector<CatalogItem> ParseCatalog(std::string_view json_text);

// Reads and parses the file; std::invalid_argument also when it cannot be read.
std::vector<CatalogItem> LoadCatalog(const std::string& path);

}  // namespace choreo::inventory
