#include "choreo/outbox/facts.hpp"

namespace choreo::outbox::facts {

using Poco::Data::Keywords::into;

std::vector<PendingRow> ReadPending(store::Tx& tx) {
  std::vector<Poco::Int64> created, attempts;
  tx.Run("SELECT created_at, attempts FROM choreo_outbox WHERE sent_at IS NULL ORDER BY id", into(created),
         into(attempts));
  std::vector<PendingRow> out;
  for (std::size_t i = 0; i < created.size(); ++i) out.push_back({created[i], attempts[i]});
  return out;
}

}  // namespace choreo::outbox::facts
