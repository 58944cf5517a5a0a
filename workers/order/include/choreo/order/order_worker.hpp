#pragma once
// The order worker: follows every business event of the flow, stores each order's state
// and history, and emits order.status_changed / order.confirmed / order.cancelled as the
// state machine (order_state.hpp) decides.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "choreo/order/order_state.hpp"
#include "choreo/store/store.hpp"
#include "choreo/worker/worker.hpp"

namespace choreo::order {

// The worker's schema: order_states (one row per order) and order_history.
std::vector<store::Migration> Migrations();

// Registers the migrations and one handler per subscribed event.
void Register(worker::Worker& worker);

// Applies one fact inside the handler's transaction: loads (and on PostgreSQL locks) the
// order, stores the outcome and a history row, and emits what the state machine decided.
void HandleFact(worker::Context& ctx, const std::string& order_id, const OrderFact& fact);

// The name of the lock (store::LockUntilEnd) that serialises the handlers of an order
// that has no row yet (see HandleFact).
std::string OrderLockName(std::string_view order_id);

// Read side, for tests and tools. `for_update` locks the row on PostgreSQL.
std::optional<OrderState> LoadOrder(store::Tx& tx, std::string_view order_id, bool for_update = false);

struct HistoryEntry {
  std::int64_t position = 0;
  std::string event_type;
  std::optional<std::string> from;
  std::optional<std::string> to;
  std::string outcome;  // ToString(Outcome)
  std::string at;
  std::string message_id;
};
std::vector<HistoryEntry> LoadHistory(store::Tx& tx, std::string_view order_id);

}  // namespace choreo::order
