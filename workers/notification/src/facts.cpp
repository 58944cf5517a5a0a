#include "choreo/notification/facts.hpp"

namespace choreo::notification::facts {

using Poco::Data::Keywords::into;

std::vector<NotificationRecord> ReadNotifications(store::Tx& tx) {
  std::vector<std::string> ids, kinds, messages;
  tx.Run("SELECT order_id, kind, provider_message_id FROM notification_emails ORDER BY order_id, kind", into(ids),
         into(kinds), into(messages));
  std::vector<NotificationRecord> out;
  for (std::size_t i = 0; i < ids.size(); ++i) out.push_back({ids[i], kinds[i], messages[i]});
  return out;
}

}  // namespace choreo::notification::facts
