#pragma once
// What the shipping worker's store says about each order's shipment, for readers outside
// the worker (choreo-admin audit). The SQL lives in src/facts.cpp, next to the migrations
// in src/shipping.cpp, and shipping_facts_it runs it against a store those migrations
// built: a schema change that breaks the reader fails the shipping worker's own tests.
#include <string>
#include <vector>

#include "choreo/store/store.hpp"

namespace choreo::shipping::facts {

struct ShipmentRecord {  // shipping_bookings
  std::string order_id;
  std::string outcome;  // scheduled, rejected
};

// Every booking decision, ordered by order id.
std::vector<ShipmentRecord> ReadShipments(store::Tx& tx);

}  // namespace choreo::shipping::facts
