#pragma once
// Events on the `notifications` exchange.
#include <string>
#include <string_view>
#include <tuple>

#include "choreo/contracts/common_types.hpp"
#include "choreo/contracts/names.hpp"

namespace choreo::contracts {

enum class NotificationKind { kOrderConfirmed, kOrderCancelled };
template <>
struct EnumNames<NotificationKind> {
  static constexpr std::array kNames{
      std::pair{NotificationKind::kOrderConfirmed, std::string_view("order_confirmed")},
      std::pair{NotificationKind::kOrderCancelled, std::string_view("order_cancelled")}};
};

// The mail provider accepted the e-mail. provider_message_id is the provider's answer to
// our idempotency key, so an audit can match it against the provider's ledger.
struct NotificationSent {
  static constexpr std::string_view kType = "notification.sent";
  static constexpr std::string_view kVersion = "1.0";
  static constexpr std::string_view kExchange = exchanges::kNotifications;
  static constexpr std::string_view kProducer = components::kNotification;

  std::string order_id;
  NotificationKind kind = NotificationKind::kOrderConfirmed;
  std::string customer_id;  // the recipient; the provider resolves it to an address
  std::string provider_message_id;
  std::string sent_at;

  static constexpr auto Fields() {
    return std::tuple{Field("order_id", &NotificationSent::order_id),
                      Field("kind", &NotificationSent::kind),
                      Field("customer_id", &NotificationSent::customer_id),
                      Field("provider_message_id", &NotificationSent::provider_message_id),
                      Field("sent_at", &NotificationSent::sent_at)};
  }
  bool operator==(const NotificationSent&) const = default;
};

}  // namespace choreo::contracts
