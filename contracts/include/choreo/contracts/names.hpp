#pragma once
// Component names: the envelope's `producer`, the AMQP app_id, the worker's queue name.
// Exchanges are not listed here: each event schema names its own (x-choreo-exchange) and
// the topology declares the exchanges the catalog uses.
#include <string_view>

namespace choreo::contracts::components {

inline constexpr std::string_view kGateway = "gateway";
inline constexpr std::string_view kOrder = "order";
inline constexpr std::string_view kInventory = "inventory";
inline constexpr std::string_view kPayment = "payment";
inline constexpr std::string_view kShipping = "shipping";
inline constexpr std::string_view kNotification = "notification";

}  // namespace choreo::contracts::components
