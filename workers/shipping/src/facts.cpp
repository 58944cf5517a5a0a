#include "choreo/shipping/facts.hpp"

namespace choreo::shipping::facts {

using Poco::Data::Keywords::into;

std::vector<ShipmentRecord> ReadShipments(store::Tx& tx) {
  std::vector<std::string> ids, outcomes;
  tx.Run("SELECT order_id, outcome FROM shipping_bookings ORDER BY order_id", into(ids), into(outcomes));
  std::vector<ShipmentRecord> out;
  for (std::size_t i = 0; i < ids.size(); ++i) out.push_back({ids[i], outcomes[i]});
  return out;
}

}  // namespace choreo::shipping::facts
