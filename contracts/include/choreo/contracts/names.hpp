#pragma once
// Names shared by the events (who publishes where) and the topology (who listens).
#include <string_view>

namespace choreo::contracts {

// One durable topic exchange per bounded context; the routing key is the event type
// (docs/architecture.md, Messaging topology).
namespace exchanges {
inline constexpr std::string_view kOrders = "orders";
inline constexpr std::string_view kInventory = "inventory";
inline constexpr std::string_view kPayments = "payments";
inline constexpr std::string_view kShipping = "shipping";
inline constexpr std::string_view kNotifications = "notifications";
}  // namespace exchanges

// Component names: the envelope's `producer`, the AMQP app_id, the worker's queue name.
namespace components {
inline constexpr std::string_view kGateway = "gateway";
inline constexpr std::string_view kOrder = "order";
inline constexpr std::string_view kInventory = "inventory";
inline constexpr std::string_view kPayment = "payment";
inline constexpr std::string_view kShipping = "shipping";
inline constexpr std::string_view kNotification = "notification";
}  // namespace components

}  // namespace choreo::contracts
