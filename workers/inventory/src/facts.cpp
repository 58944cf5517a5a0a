#include "choreo/inventory/facts.hpp"

namespace choreo::inventory::facts {

using Poco::Data::Keywords::into;

InventoryFacts ReadInventory(store::Tx& tx) {
  InventoryFacts data;
  {
    std::vector<std::string> skus;
    std::vector<Poco::Int64> total, available, reserved, sold;
    tx.Run("SELECT sku, total, available, reserved, sold FROM inventory_stock ORDER BY sku", into(skus), into(total),
           into(available), into(reserved), into(sold));
    for (std::size_t i = 0; i < skus.size(); ++i) {
      data.stock.push_back({skus[i], total[i], available[i], reserved[i], sold[i]});
    }
  }
  std::map<std::string, std::size_t> index;
  {
    std::vector<std::string> ids, states;
    std::vector<std::optional<std::string>> reasons;
    tx.Run("SELECT order_id, state, release_reason FROM inventory_reservations ORDER BY order_id", into(ids),
           into(states), into(reasons));
    for (std::size_t i = 0; i < ids.size(); ++i) {
      index[ids[i]] = data.reservations.size();
      data.reservations.push_back({ids[i], states[i], reasons[i], {}});
    }
  }
  {
    std::vector<std::string> ids, skus;
    std::vector<Poco::Int64> quantities;
    tx.Run("SELECT order_id, sku, quantity FROM inventory_reservation_lines", into(ids), into(skus), into(quantities));
    for (std::size_t i = 0; i < ids.size(); ++i) {
      auto it = index.find(ids[i]);
      if (it != index.end()) data.reservations[it->second].quantities[skus[i]] += quantities[i];
    }
  }
  tx.Run("SELECT order_id FROM inventory_rejections ORDER BY order_id", into(data.rejected_orders));
  return data;
}

}  // namespace choreo::inventory::facts
