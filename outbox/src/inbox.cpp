#include "choreo/outbox/inbox.hpp"

#include <string>

#include "choreo/outbox/outbox.hpp"

namespace choreo::outbox {

using Poco::Data::Keywords::into;

bool TryRecord(store::Tx& tx, std::string_view consumer, std::string_view message_id) {
  // One statement instead of "look, then insert": on PostgreSQL the unique index makes a
  // concurrent recorder of the same id wait for the first transaction, then see the
  // conflict, so the check and the record cannot race.
  return tx.Run("INSERT INTO choreo_inbox (consumer, message_id, received_at) VALUES (?, ?, ?) "
                "ON CONFLICT (consumer, message_id) DO NOTHING",
                consumer, message_id, NowMs()) == 1;
}

bool Contains(store::Tx& tx, std::string_view consumer, std::string_view message_id) {
  Poco::Int64 n = 0;
  tx.Run("SELECT COUNT(*) FROM choreo_inbox WHERE consumer = ? AND message_id = ?", into(n), consumer, message_id);
  return n > 0;
}

std::size_t DeleteInboxOlderThan(store::Store& store, std::chrono::milliseconds retention) {
  const int64_t cutoff = NowMs() - retention.count();
  return store.InTransaction(
      [cutoff](store::Tx& tx) { return tx.Run("DELETE FROM choreo_inbox WHERE received_at < ?", cutoff); });
}

}  // namespace choreo::outbox
