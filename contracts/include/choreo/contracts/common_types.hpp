#pragma once
// Parts that several events share. Money is always an integer count of minor units
// (cents) next to an ISO 4217 currency code: floating point cannot represent 0.10 and
// would let rounding creep into totals, charges and refunds.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "choreo/contracts/json_support.hpp"

namespace choreo::contracts {

// True for three upper-case ASCII letters ("EUR"). Whether the code is assigned is the
// payment provider's business; the contract only fixes the shape.
bool IsCurrencyCode(std::string_view code);

// A line as the client ordered it. Clients never send prices (inventory owns them).
struct OrderLine {
  std::string sku;
  std::int64_t quantity = 0;

  static constexpr auto Fields() {
    return std::tuple{Field("sku", &OrderLine::sku), Field("quantity", &OrderLine::quantity)};
  }
  bool operator==(const OrderLine&) const = default;
};

// A line after inventory priced it; the price is fixed for the life of the order.
struct PricedLine {
  std::string sku;
  std::int64_t quantity = 0;
  std::int64_t unit_price_minor = 0;

  static constexpr auto Fields() {
    return std::tuple{Field("sku", &PricedLine::sku), Field("quantity", &PricedLine::quantity),
                      Field("unit_price_minor", &PricedLine::unit_price_minor)};
  }
  bool operator==(const PricedLine&) const = default;
};

enum class PaymentMethod { kCard, kWallet };
template <>
struct EnumNames<PaymentMethod> {
  static constexpr std::array kNames{std::pair{PaymentMethod::kCard, std::string_view("card")},
                                     std::pair{PaymentMethod::kWallet, std::string_view("wallet")}};
};

// What the payment worker needs to charge. The token is opaque to everyone but the
// provider (`tok_ok`, `tok_decline`, `tok_flaky` drive the stand-in).
struct PaymentDetails {
  PaymentMethod method = PaymentMethod::kCard;
  std::string token;

  static constexpr auto Fields() {
    return std::tuple{Field("method", &PaymentDetails::method), Field("token", &PaymentDetails::token)};
  }
  bool operator==(const PaymentDetails&) const = default;
};

struct Address {
  std::string name;
  std::string line1;
  std::optional<std::string> line2;
  std::string city;
  std::string postal_code;
  std::string country;  // ISO 3166-1 alpha-2, upper case ("DE")

  static constexpr auto Fields() {
    return std::tuple{Field("name", &Address::name),        Field("line1", &Address::line1),
                      Field("line2", &Address::line2),      Field("city", &Address::city),
                      Field("postal_code", &Address::postal_code), Field("country", &Address::country)};
  }
  bool operator==(const Address&) const = default;
};

// Sum of quantity * unit price; throws std::overflow_error rather than wrap.
std::int64_t TotalMinor(const std::vector<PricedLine>& lines);

}  // namespace choreo::contracts
