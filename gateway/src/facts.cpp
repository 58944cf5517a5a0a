#include "choreo/gateway/facts.hpp"

namespace choreo::gateway::facts {

using Poco::Data::Keywords::into;

std::vector<AcceptedOrder> ReadAcceptedOrders(store::Tx& tx) {
  std::vector<std::string> ids;
  std::vector<Poco::Int64> created;
  tx.Run("SELECT order_id, created_at_ms FROM gateway_orders ORDER BY order_id", into(ids), into(created));
  std::vector<AcceptedOrder> out;
  for (std::size_t i = 0; i < ids.size(); ++i) out.push_back({ids[i], created[i]});
  return out;
}

}  // namespace choreo::gateway::facts
