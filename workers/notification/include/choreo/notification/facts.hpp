#pragma once
// What the notification worker's store says about the e-mails it sent, for readers
// outside the worker (choreo-admin audit). The SQL lives in src/facts.cpp, next to the
// migrations in src/notification.cpp, and notification_facts_it runs it against a store
// those migrations built: a schema change that breaks the reader fails the worker's tests.
#include <string>
#include <vector>

#include "choreo/store/store.hpp"

namespace choreo::notification::facts {

struct NotificationRecord {  // notification_emails (the worker's view of the provider)
  std::string order_id;
  std::string kind;  // order_confirmed, order_cancelled
  std::string provider_message_id;
};

// Every e-mail the worker recorded as sent, ordered by order id and kind.
std::vector<NotificationRecord> ReadNotifications(store::Tx& tx);

}  // namespace choreo::notification::facts
