#include <gtest/gtest.h>

#include "choreo/inventory/catalog.hpp"

namespace choreo::inventory {
namespace {

TEST(CatalogTest, ParsesItems) {
  auto items = ParseCatalog(R"({"items": [
      {"sku": "sku-001", "name": "Mug", "unit_price_minor": 1250, "currency": "EUR", "stock": 10},
      {"sku": "sku-out", "name": "Tin", "unit_price_minor": 0, "currency": "EUR", "stock": 0, "extra": true}]})");
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0], (CatalogItem{"sku-001", "Mug", 1250, "EUR", 10}));
  EXPECT_EQ(items[1].stock, 0);
}

TEST(CatalogTest, RefusesMalformedCatalogs) {
  const char* bad[] = {
      "not json",
      R"([])",
      R"({"items": {}})",
      R"({"items": [1]})",
      R"({"items": [{"name": "x", "unit_price_minor": 1, "currency": "EUR", "stock": 1}]})",
      R"({"items": [{"sku": "", "name": "x", "unit_price_minor": 1, "currency": "EUR", "stock": 1}]})",
      R"({"items": [{"sku": "a", "name": "x", "unit_price_minor": -1, "currency": "EUR", "stock": 1}]})",
      R"({"items": [{"sku": "a", "name": "x", "unit_price_minor": 1.5, "currency": "EUR", "stock": 1}]})",
      R"({"items": [{"sku": "a", "name": "x", "unit_price_minor": 1, "currency": "eur", "stock": 1}]})",
      R"({"items": [{"sku": "a", "name": "x", "unit_price_minor": 1, "currency": "EUR", "stock": -5}]})",
      R"({"items": [{"sku": "a", "name": "x", "unit_price_minor": 1, "currency": "EUR", "stock": 1},
                    {"sku": "a", "name": "y", "unit_price_minor": 1, "currency": "EUR", "stock": 1}]})",
      R"({"items": [{"sku": "a", "name": "x", "unit_price_minor": 1, "currency": "EUR", "stock": 1},
                    {"sku": "b", "name": "y", "unit_price_minor": 1, "currency": "USD", "stock": 1}]})",
  };
  for (const char* text : bad) {
    EXPECT_THROW(ParseCatalog(text), std::invalid_argument) << text;
  }
}

TEST(CatalogTest, ErrorNamesTheItem) {
  try {
    ParseCatalog(R"({"items": [{"sku": "sku-9", "name": "x", "unit_price_minor": 1, "currency": "EUR"}]})");
    FAIL() << "expected invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("sku-9"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("stock"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace choreo::inventory
