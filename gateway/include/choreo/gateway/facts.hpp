#pragma once
// What the gateway's store says about the orders it accepted, for readers outside the
// gateway (choreo-admin audit). The SQL lives in src/facts.cpp, next to the migrations
// in src/read_model.cpp, and gateway_facts_it runs it against a store those migrations
// built: a schema change that breaks the reader fails the gateway's own tests.
#include <cstdint>
#include <string>
#include <vector>

#include "choreo/store/store.hpp"

namespace choreo::gateway::facts {

struct AcceptedOrder {  // gateway_orders
  std::string order_id;
  std::int64_t created_at_ms = 0;
};

// Every order the gateway accepted, ordered by order id.
std::vector<AcceptedOrder> ReadAcceptedOrders(store::Tx& tx);

}  // namespace choreo::gateway::facts
