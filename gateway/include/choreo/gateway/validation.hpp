#pragma once
// Strict validation of a POST /orders body. Every problem is reported (not only the
// first) with a JSON Pointer into the request, so a client can fix them all at once.
// The rules are at least as strict as the order.placed schema (contracts/schemas), so an
// accepted order is never dead-lettered downstream for its shape.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "choreo/contracts/order_events.hpp"

namespace choreo::gateway {

inline constexpr std::size_t kMinLines = 1;
inline constexpr std::size_t kMaxLines = 100;
inline constexpr std::int64_t kMinQuantity = 1;
inline constexpr std::int64_t kMaxQuantity = 10'000;
inline constexpr std::size_t kMaxCustomerIdLength = 128;
inline constexpr std::size_t kMaxSkuLength = 64;
inline constexpr std::size_t kMaxTokenLength = 256;
inline constexpr std::size_t kMaxNameLength = 200;  // name, line1, line2
inline constexpr std::size_t kMaxCityLength = 100;
inline constexpr std::size_t kMaxPostalCodeLength = 20;
// Deeper documents are refused while parsing, before anything walks them.
inline constexpr std::size_t kMaxJsonDepth = 16;

struct FieldError {
  std::string pointer;  // JSON Pointer into the request body, "" for the body itself
  std::string message;
  bool operator==(const FieldError&) const = default;
};

// The order as the client sent it, once valid: an OrderPlaced without order_id and
// placed_at, which the gateway assigns.
struct OrderRequest {
  std::string customer_id;
  std::vector<contracts::OrderLine> lines;
  contracts::PaymentDetails payment;
  contracts::Address shipping_address;
};

struct ValidationResult {
  std::optional<OrderRequest> order;  // set iff errors is empty
  std::vector<FieldError> errors;
  bool Ok() const { return errors.empty(); }
};

ValidationResult ValidateOrderRequest(const nlohmann::json& body);

// Parses a request body as JSON. Throws std::invalid_argument with a message fit for a
// client (position and what was wrong, no library prefix) on malformed JSON, invalid
// UTF-8 or nesting deeper than kMaxJsonDepth.
nlohmann::json ParseJsonBody(std::string_view text);

// ISO 3166-1 alpha-2 codes currently assigned ("DE"); upper case only.
bool IsCountryCode(std::string_view code);

// The top-level fields a POST /orders body may have (for the OpenAPI sync test).
std::vector<std::string> OrderRequestFields();

}  // namespace choreo::gateway
