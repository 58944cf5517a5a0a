#include "http_client.hpp"

namespace choreo::gateway::testing {

HttpResult PostOrder(std::uint16_t port, const nlohmann::json& order, const std::map<std::string, std::string>& headers) {
  return Request(port, "POST", "/orders", order.dump(), "application/json", headers);
}

nlohmann::json ExampleOrder() {
  return nlohmann::json::parse(R"({"customer_id": "cust-42", "lines": [{"sku": "sku-001", "quantity": 2}],
    "payment": {"method": "card", "token": "tok_ok"},
    "shipping_address": {"name": "Ada Lovelace", "line1": "1 Main St", "city": "Berlin",
                         "postal_code": "10115", "country": "DE"}})");
}

}  // namespace choreo::gateway::testing
