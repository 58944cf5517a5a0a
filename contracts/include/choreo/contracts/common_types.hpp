#pragma once
// Parts that several events share. Money is always an integer count of minor units
// (cents) next to an ISO 4217 currency code: floating point cannot represent 0.10 and
// would let rounding creep into totals, charges and refunds.
//
// The types themselves (OrderLine, PricedLine, PaymentDetails, PaymentMethod, Address,
// OrderStatus, CancelReason) are generated from the definitions of schemas/common/v1.json
// that carry x-choreo-cpp-name (contracts/codegen); this header adds what is code.
#include <cstdint>
#include <string_view>
#include <vector>

#include "choreo/contracts/generated/common.hpp"

namespace choreo::contracts {

// True for three upper-case ASCII letters ("EUR"). Whether the code is assigned is the
// payment provider's business; the contract only fixes the shape.
bool IsCurrencyCode(std::string_view code);

// Sum of quantity * unit price; throws std::overflow_error rather than wrap.
std::int64_t TotalMinor(const std::vector<PricedLine>& lines);

}  // namespace choreo::contracts
