#pragma once
// What the order worker's store says about each order, for readers outside the worker
// (choreo-admin audit). The SQL lives in src/facts.cpp, next to the migrations in
// src/order_worker.cpp, and order_facts_it runs it against a store those migrations
// built: a schema change that breaks the reader fails the order worker's own tests.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "choreo/store/store.hpp"

namespace choreo::order::facts {

struct OrderRecord {  // order_states
  std::string order_id;
  std::string status;  // placed, reserved, paid, confirmed, cancelled
  std::optional<std::string> reason;
  std::optional<std::int64_t> total_minor;
  std::optional<std::int64_t> created_at_ms;
  // When the order became terminal (terminal_at), else when it last changed.
  std::optional<std::int64_t> changed_at_ms;
};

// Every order the worker knows, ordered by order id.
std::vector<OrderRecord> ReadOrders(store::Tx& tx);
// One order's, or nullopt when the worker has not seen it.
std::optional<OrderRecord> ReadOrder(store::Tx& tx, const std::string& order_id);

}  // namespace choreo::order::facts
