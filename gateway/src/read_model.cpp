#include "choreo/gateway/read_model.hpp"

#include <algorithm>

#include "choreo/contracts/time.hpp"
#include "choreo/outbox/outbox.hpp"

namespace choreo::gateway {
namespace {

using Poco::Data::Keywords::into;
using contracts::ToString;

std::optional<std::string> ReasonName(const std::optional<contracts::CancelReason>& reason) {
  if (!reason) return std::nullopt;
  return std::string(ToString(*reason));
}

// Inserts the view row unless the order already has one; true if inserted.
bool InsertViewIfAbsent(store::Tx& tx, const std::string& order_id, std::string_view status,
                        const std::optional<std::string>& reason, const std::optional<std::int64_t>& total_minor,
                        const std::optional<std::string>& currency, std::int64_t sequence, const std::string& at) {
  return tx.Run("INSERT INTO gateway_order_view (order_id, status, reason, total_minor, currency, sequence, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (order_id) DO NOTHING",
                order_id, status, reason, total_minor, currency, sequence, at) == 1;
}

void FillTotal(store::Tx& tx, const std::string& order_id, const std::optional<std::int64_t>& total_minor,
               const std::optional<std::string>& currency) {
  // The total is fixed once inventory priced the order, so any event carrying it may
  // fill it in, even one too old to change the status.
  if (!total_minor || !currency) return;
  tx.Run("UPDATE gateway_order_view SET total_minor = ?, currency = ? WHERE order_id = ? AND total_minor IS NULL",
         *total_minor, *currency, order_id);
}

// Moves the order into a terminal status unless it already is in one.
void ApplyTerminal(store::Tx& tx, const std::string& order_id, std::string_view status,
                   const std::optional<std::string>& reason, const std::optional<std::int64_t>& total_minor,
                   const std::optional<std::string>& currency, const std::string& at) {
  if (InsertViewIfAbsent(tx, order_id, status, reason, total_minor, currency, 0, at)) return;
  tx.Run("UPDATE gateway_order_view SET status = ?, reason = COALESCE(?, reason), updated_at = ? "
         "WHERE order_id = ? AND status NOT IN ('confirmed', 'cancelled')",
         status, reason, at, order_id);
  FillTotal(tx, order_id, total_minor, currency);
}

}  // namespace

std::vector<store::Migration> Migrations() {
  return {
      {1, "gateway intake, idempotency and read model",
       "CREATE TABLE gateway_orders ("
       "  order_id TEXT PRIMARY KEY,"
       "  customer_id TEXT NOT NULL,"
       "  request_json TEXT NOT NULL,"
       "  idempotency_key TEXT,"
       "  placed_at TEXT NOT NULL,"
       "  created_at_ms BIGINT NOT NULL);"
       "CREATE TABLE gateway_idempotency ("
       "  scoped_key TEXT PRIMARY KEY,"
       "  request_hash TEXT NOT NULL,"
       "  order_id TEXT NOT NULL,"
       "  response_status INTEGER NOT NULL,"
       "  response_body TEXT NOT NULL,"
       "  created_at_ms BIGINT NOT NULL);"
       "CREATE INDEX gateway_idempotency_created ON gateway_idempotency (created_at_ms);"
       "CREATE TABLE gateway_order_view ("
       "  order_id TEXT PRIMARY KEY,"
       "  status TEXT NOT NULL,"
       "  reason TEXT,"
       "  total_minor BIGINT,"
       "  currency TEXT,"
       "  sequence BIGINT NOT NULL,"
       "  updated_at TEXT NOT NULL);"
       "CREATE TABLE gateway_order_history ("
       "  order_id TEXT NOT NULL,"
       "  sequence BIGINT NOT NULL,"
       "  from_status TEXT,"
       "  to_status TEXT NOT NULL,"
       "  reason TEXT,"
       "  at TEXT NOT NULL,"
       "  PRIMARY KEY (order_id, sequence));"},
      // Admission control counts the orders in progress on every refresh; this index holds
      // only those, so the count costs as much as the backlog is long, not the history.
      {2, "index of the orders in progress",
       "CREATE INDEX gateway_order_view_open ON gateway_order_view (order_id) "
       "WHERE status NOT IN ('confirmed', 'cancelled');"},
  };
}

void RecordPlaced(store::Tx& tx, const std::string& order_id, const std::string& placed_at) {
  InsertViewIfAbsent(tx, order_id, "placed", std::nullopt, std::nullopt, std::nullopt, 0, placed_at);
  tx.Run("INSERT INTO gateway_order_history (order_id, sequence, from_status, to_status, reason, at) "
         "VALUES (?, 0, NULL, 'placed', NULL, ?) ON CONFLICT (order_id, sequence) DO NOTHING",
         order_id, placed_at);
}

void ApplyStatusChanged(store::Tx& tx, const contracts::OrderStatusChanged& event) {
  std::string to(ToString(event.to));
  std::optional<std::string> from;
  if (event.from) from = std::string(ToString(*event.from));
  std::optional<std::string> reason = ReasonName(event.reason);
  tx.Run("INSERT INTO gateway_order_history (order_id, sequence, from_status, to_status, reason, at) "
         "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (order_id, sequence) DO NOTHING",
         event.order_id, event.sequence, from, to, reason, event.at);
  if (InsertViewIfAbsent(tx, event.order_id, to, reason, event.total_minor, event.currency, event.sequence,
                         event.at)) {
    return;
  }
  // One conditional UPDATE (rather than read, compare, write) so concurrent handlers of
  // the same order, also in other replicas, cannot both win: PostgreSQL re-checks the
  // WHERE clause after waiting for the row lock.
  tx.Run("UPDATE gateway_order_view SET status = ?, reason = ?, sequence = ?, updated_at = ? "
         "WHERE order_id = ? AND sequence < ? AND status NOT IN ('confirmed', 'cancelled')",
         to, reason, event.sequence, event.at, event.order_id, event.sequence);
  FillTotal(tx, event.order_id, event.total_minor, event.currency);
}

void ApplyConfirmed(store::Tx& tx, const contracts::OrderConfirmed& event) {
  ApplyTerminal(tx, event.order_id, "confirmed", std::nullopt, event.total_minor, event.currency,
                event.confirmed_at);
}

void ApplyCancelled(store::Tx& tx, const contracts::OrderCancelled& event) {
  ApplyTerminal(tx, event.order_id, "cancelled", std::string(ToString(event.reason)), std::nullopt, std::nullopt,
                event.cancelled_at);
}

void FeedFrom(worker::Pipeline& pipeline) {
  pipeline.On<contracts::OrderStatusChanged>(
      [](worker::Context& ctx, const contracts::OrderStatusChanged& event) { ApplyStatusChanged(ctx.Tx(), event); });
  pipeline.On<contracts::OrderConfirmed>(
      [](worker::Context& ctx, const contracts::OrderConfirmed& event) { ApplyConfirmed(ctx.Tx(), event); });
  pipeline.On<contracts::OrderCancelled>(
      [](worker::Context& ctx, const contracts::OrderCancelled& event) { ApplyCancelled(ctx.Tx(), event); });
}

std::optional<OrderView> LoadOrder(store::Tx& tx, const std::string& order_id) {
  OrderView view;
  view.order_id = order_id;
  if (tx.Run("SELECT status, reason, total_minor, currency, sequence FROM gateway_order_view WHERE order_id = ?",
             into(view.status), into(view.reason), into(view.total_minor), into(view.currency),
             into(view.sequence), order_id) == 0) {
    return std::nullopt;
  }
  std::vector<std::int64_t> sequences;
  std::vector<std::optional<std::string>> froms;
  std::vector<std::string> tos;
  std::vector<std::optional<std::string>> reasons;
  std::vector<std::string> ats;
  tx.Run("SELECT sequence, from_status, to_status, reason, at FROM gateway_order_history "
         "WHERE order_id = ? ORDER BY sequence",
         into(sequences), into(froms), into(tos), into(reasons), into(ats), order_id);
  // The gateway's own "placed" entry (sequence 0) stands in until the order worker's
  // first transition into placed arrives.
  bool worker_placed = false;
  for (std::size_t i = 0; i < sequences.size(); ++i) {
    if (sequences[i] > 0 && tos[i] == "placed") worker_placed = true;
  }
  for (std::size_t i = 0; i < sequences.size(); ++i) {
    if (sequences[i] == 0 && worker_placed) continue;
    view.history.push_back({sequences[i], froms[i], tos[i], reasons[i], ats[i]});
  }
  return view;
}

std::string StatusForClients(std::string_view status) {
  std::string out(status);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; });
  return out;
}

nlohmann::json ToJson(const OrderView& view) {
  auto optional = [](const auto& value) -> nlohmann::json {
    if (value) return nlohmann::json(*value);
    return nullptr;
  };
  nlohmann::json history = nlohmann::json::array();
  for (const auto& entry : view.history) {
    history.push_back({{"sequence", entry.sequence},
                       {"from", entry.from ? nlohmann::json(StatusForClients(*entry.from)) : nlohmann::json(nullptr)},
                       {"status", StatusForClients(entry.to)},
                       {"reason", optional(entry.reason)},
                       {"at", entry.at}});
  }
  return {{"order_id", view.order_id},
          {"status", StatusForClients(view.status)},
          {"reason", optional(view.reason)},
          {"total_minor", optional(view.total_minor)},
          {"currency", optional(view.currency)},
          {"history", std::move(history)}};
}

LoadReading ReadLoad(store::Tx& tx) {
  LoadReading reading;
  Poco::Int64 in_flight = 0;
  tx.Run("SELECT COUNT(*) FROM gateway_order_view WHERE status NOT IN ('confirmed', 'cancelled')",
         Poco::Data::Keywords::into(in_flight));
  reading.in_flight = in_flight;
  const outbox::Backlog backlog = outbox::ReadBacklog(tx);
  reading.intake_pending = backlog.pending;
  reading.intake_oldest_age = backlog.oldest_pending_age;
  return reading;
}

}  // namespace choreo::gateway
