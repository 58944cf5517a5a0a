#include "choreo/inventory/catalog.hpp"

#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "choreo/contracts/common_types.hpp"

namespace choreo::inventory {
namespace {

const nlohmann::json& Require(const nlohmann::json& item, const char* field, const std::string& where) {
  auto it = item.find(field);
  if (it == item.end()) throw std::invalid_argument(where + ": missing \"" + field + "\"");
  return *it;
}

std::string RequireString(const nlohmann::json& item, const char* field, const std::string& where) {
  const auto& value = Require(item, field, where);
  if (!value.is_string() || value.get<std::string>().empty()) {
    throw std::invalid_argument(where + ": \"" + field + "\" must be a non-empty string");
  }
  return value.get<std::string>();
}

std::int64_t RequireCount(const nlohmann::json& item, const char* field, const std::string& where) {
  const auto& value = Require(item, field, where);
  if (!value.is_number_integer() || value.get<std::int64_t>() < 0) {
    throw std::invalid_argument(where + ": \"" + field + "\" must be an integer >= 0");
  }
  return value.get<std::int64_t>();
}

}  // namespace

std::vector<CatalogItem> ParseCatalog(std::string_view json_text) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::parse_error& e) {
    throw std::invalid_argument(std::string("catalog is not JSON: ") + e.what());
  }
  if (!doc.is_object() || !doc.contains("items") || !doc["items"].is_array()) {
    throw std::invalid_argument("catalog: expected an object with an \"items\" array");
  }
  std::vector<CatalogItem> items;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < doc["items"].size(); ++i) {
    const auto& raw = doc["items"][i];
    std::string where = "catalog item " + std::to_string(i);
    if (!raw.is_object()) throw std::invalid_argument(where + ": not an object");
    CatalogItem item;
    item.sku = RequireString(raw, "sku", where);
    where += " (" + item.sku + ")";
    // The contracts cap SKUs at 64 characters; a longer one could never be ordered.
    if (item.sku.size() > 64) throw std::invalid_argument(where + ": sku longer than 64 characters");
    item.name = RequireString(raw, "name", where);
    item.unit_price_minor = RequireCount(raw, "unit_price_minor", where);
    item.currency = RequireString(raw, "currency", where);
    if (!contracts::IsCurrencyCode(item.currency)) {
      throw std::invalid_argument(where + ": currency must be an ISO 4217 code like EUR");
    }
    item.stock = RequireCount(raw, "stock", where);
    if (!seen.insert(item.sku).second) throw std::invalid_argument(where + ": duplicate sku");
    if (!items.empty() && items.front().currency != item.currency) {
      throw std::invalid_argument(where + ": currency " + item.currency + " differs from " +
                                  items.front().currency + "; one catalog, one currency");
    }
    items.push_back(std::move(item));
  }
  return items;
}

std::vector<CatalogItem> LoadCatalog(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument("cannot read catalog file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return ParseCatalog(text.str());
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(path + ": " + e.what());
  }
}

}  // namespace choreo::inventory
