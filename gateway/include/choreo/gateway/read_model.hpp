#pragma once
// The gateway's tables: intake records, idempotency records and the read model behind
// GET /orders/{id}. The read model is fed by the order worker's events through the worker
// runtime's pipeline (FeedFrom; its inbox already drops exact redeliveries); here we also drop late
// and out-of-order updates: a status_changed is applied only if its sequence is newer
// than the one shown, and a terminal status (confirmed, cancelled) never changes.
// History rows are keyed by (order, sequence), so a late event still fills its slot.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "choreo/contracts/order_events.hpp"
#include "choreo/gateway/admission.hpp"
#include "choreo/store/store.hpp"
#include "choreo/worker/pipeline.hpp"

namespace choreo::gateway {

// Schema of component "gateway" (store::Store::Migrate).
std::vector<store::Migration> Migrations();

struct HistoryEntry {
  std::int64_t sequence = 0;  // 0: recorded by the gateway at intake
  std::optional<std::string> from;
  std::string to;
  std::optional<std::string> reason;
  std::string at;
};

struct OrderView {
  std::string order_id;
  std::string status;  // contract name, lower case ("placed")
  std::optional<std::string> reason;
  std::optional<std::int64_t> total_minor;
  std::optional<std::string> currency;
  std::int64_t sequence = 0;
  std::vector<HistoryEntry> history;  // ascending sequence
};

// At intake: the order is PLACED (sequence 0) so a GET right after the POST finds it.
void RecordPlaced(store::Tx& tx, const std::string& order_id, const std::string& placed_at);

void ApplyStatusChanged(store::Tx& tx, const contracts::OrderStatusChanged& event);
void ApplyConfirmed(store::Tx& tx, const contracts::OrderConfirmed& event);
void ApplyCancelled(store::Tx& tx, const contracts::OrderCancelled& event);

// Registers the handlers of the order events above with the gateway's pipeline (its
// `gateway` queue, contracts/topology).
void FeedFrom(worker::Pipeline& pipeline);

std::optional<OrderView> LoadOrder(store::Tx& tx, const std::string& order_id);

// The backlog admission control judges: orders neither confirmed nor cancelled (on a
// partial index holding just those) and this gateway's unpublished outbox rows.
LoadReading ReadLoad(store::Tx& tx);

// The GET /orders/{id} body: statuses in upper case ("PLACED"), reasons as in the
// contracts ("payment_declined"), absent values as null.
nlohmann::json ToJson(const OrderView& view);

// "placed" -> "PLACED".
std::string StatusForClients(std::string_view status);

}  // namespace choreo::gateway
