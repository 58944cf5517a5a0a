#include "choreo/contracts/common_types.hpp"

#include <limits>
#include <stdexcept>

namespace choreo::contracts {

bool IsCurrencyCode(std::string_view code) {
  if (code.size() != 3) return false;
  for (char c : code) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

std::int64_t TotalMinor(const std::vector<PricedLine>& lines) {
  std::int64_t total = 0;
  for (const auto& line : lines) {
    std::int64_t line_total = 0;
    if (__builtin_mul_overflow(line.quantity, line.unit_price_minor, &line_total) ||
        __builtin_add_overflow(total, line_total, &total)) {
      throw std::overflow_error("order total overflows int64 minor units");
    }
  }
  return total;
}

namespace detail {

std::string_view JsonTypeName(const nlohmann::json& j) {
  if (j.is_number_integer()) return "integer";
  if (j.is_number_float()) return "floating-point number";
  return j.type_name();
}

void ThrowWrongType(const nlohmann::json& j, std::string_view expected) {
  throw ContractError(ErrorKind::kWrongType, "",
                      "expected " + std::string(expected) + ", got " + std::string(JsonTypeName(j)));
}

}  // namespace detail
}  // namespace choreo::contracts
