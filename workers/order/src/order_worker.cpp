#include "choreo/order/order_worker.hpp"

#include "choreo/contracts/time.hpp"
#include "choreo/log/log.hpp"
#include "choreo/store/locks.hpp"

namespace choreo::order {
namespace {

using Poco::Data::Keywords::into;

// Tables are prefixed with the component so that replicas sharing one PostgreSQL database
// with other components cannot collide with them.
constexpr const char* kCreateTables = R"sql(
CREATE TABLE order_states (
  order_id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  reason TEXT,
  details TEXT,
  customer_id TEXT,
  total_minor BIGINT,
  currency TEXT,
  shipment_id TEXT,
  sequence BIGINT NOT NULL,
  terminal_emitted BIGINT NOT NULL,
  terminal_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE order_history (
  order_id TEXT NOT NULL,
  position BIGINT NOT NULL,
  event_type TEXT NOT NULL,
  from_status TEXT,
  to_status TEXT,
  outcome TEXT NOT NULL,
  at TEXT NOT NULL,
  message_id TEXT NOT NULL,
  PRIMARY KEY (order_id, position)
);
CREATE INDEX order_history_event ON order_history (order_id, event_type);
)sql";

std::optional<std::string> StatusName(std::optional<OrderStatus> status) {
  if (!status) return std::nullopt;
  return std::string(contracts::ToString(*status));
}

template <class E>
std::optional<E> ParseName(const std::optional<std::string>& text, std::string_view column) {
  if (!text) return std::nullopt;
  std::optional<E> value = contracts::FromString<E>(*text);
  if (!value) throw std::runtime_error("order_states." + std::string(column) + " holds unknown value '" + *text + "'");
  return value;
}

std::optional<std::string> ReasonName(std::optional<CancelReason> reason) {
  if (!reason) return std::nullopt;
  return std::string(contracts::ToString(*reason));
}

// False when another transaction created the order first (PostgreSQL replicas).
bool InsertOrder(store::Tx& tx, std::string_view order_id, const OrderState& s, const std::string& now) {
  return tx.Run("INSERT INTO order_states (order_id, status, reason, details, customer_id, total_minor, currency, "
                "shipment_id, sequence, terminal_emitted, terminal_at, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (order_id) DO NOTHING",
                order_id, std::string(contracts::ToString(s.status)), ReasonName(s.reason), s.details, s.customer_id,
                s.total_minor, s.currency, s.shipment_id, s.sequence, s.terminal_emitted ? 1 : 0, s.terminal_at, now,
                now) == 1;
}

void UpdateOrder(store::Tx& tx, std::string_view order_id, const OrderState& s, const std::string& now) {
  // Deferred (Tx::Defer): the row is locked, so the update cannot miss.
  tx.Defer("UPDATE order_states SET status = ?, reason = ?, details = ?, customer_id = ?, total_minor = ?, "
           "currency = ?, shipment_id = ?, sequence = ?, terminal_emitted = ?, terminal_at = ?, updated_at = ? "
           "WHERE order_id = ?",
           std::string(contracts::ToString(s.status)), ReasonName(s.reason), s.details, s.customer_id, s.total_minor,
           s.currency, s.shipment_id, s.sequence, s.terminal_emitted ? 1 : 0, s.terminal_at, now, order_id);
}

// One row per business event: the same event under another message id (a replay, a
// republish by its producer) adds no second row.
void AppendHistory(store::Tx& tx, std::string_view order_id, const OrderFact& fact, const Step& step,
                   std::string_view message_id) {
  // One statement, not three (a check, a read of the last position, the insert): a fact
  // already in the history is not written again, and the next position is computed where
  // the rows are. The order's lock (LockOrder) keeps both reads current until commit.
  // Deferred (Tx::Defer): whether it added a row does not matter here.
  tx.Defer("INSERT INTO order_history (order_id, position, event_type, from_status, to_status, outcome, at, message_id) "
           "SELECT ?, COALESCE((SELECT MAX(position) FROM order_history WHERE order_id = ?), 0) + 1, ?, ?, ?, ?, ?, ? "
           "WHERE NOT EXISTS (SELECT 1 FROM order_history WHERE order_id = ? AND event_type = ?)",
           order_id, order_id, fact.event_type, StatusName(step.from), StatusName(step.to),
           std::string(ToString(step.outcome)), fact.at, message_id, order_id, fact.event_type);
}

template <contracts::Event E>
void On(worker::Worker& worker) {
  worker.On<E>([](worker::Context& ctx, const E& e) {
    HandleFact(ctx, e.order_id, FactOf(e, ctx.Message().occurred_at));
  });
}

}  // namespace

std::vector<store::Migration> Migrations() {
  return {{.version = 1, .name = "create order_states and order_history", .sql = kCreateTables}};
}

void Register(worker::Worker& worker) {
  worker.Migrations(Migrations());
  On<contracts::OrderPlaced>(worker);
  On<contracts::InventoryReserved>(worker);
  On<contracts::InventoryRejected>(worker);
  On<contracts::InventoryCommitted>(worker);
  On<contracts::InventoryReleased>(worker);
  On<contracts::PaymentCaptured>(worker);
  On<contracts::PaymentDeclined>(worker);
  On<contracts::PaymentRefunded>(worker);
  On<contracts::ShipmentScheduled>(worker);
  On<contracts::ShipmentRejected>(worker);
}

std::optional<OrderState> LoadOrder(store::Tx& tx, std::string_view order_id, bool for_update) {
  std::string status;
  std::optional<std::string> reason;
  OrderState s;
  Poco::Int64 sequence = 0;
  Poco::Int64 terminal_emitted = 0;
  std::optional<Poco::Int64> total;
  std::string sql =
      "SELECT status, reason, details, customer_id, total_minor, currency, shipment_id, sequence, terminal_emitted, "
      "terminal_at FROM order_states WHERE order_id = ?";
  if (for_update && tx.Dialect() == store::Dialect::kPostgres) sql += " FOR UPDATE";
  const std::size_t rows = tx.Run(sql, into(status), into(reason), into(s.details), into(s.customer_id), into(total),
                                  into(s.currency), into(s.shipment_id), into(sequence), into(terminal_emitted),
                                  into(s.terminal_at), order_id);
  if (rows == 0) return std::nullopt;
  s.status = *ParseName<OrderStatus>(status, "status");
  s.reason = ParseName<CancelReason>(reason, "reason");
  s.total_minor = total;
  s.sequence = sequence;
  s.terminal_emitted = terminal_emitted != 0;
  return s;
}

std::vector<HistoryEntry> LoadHistory(store::Tx& tx, std::string_view order_id) {
  std::vector<Poco::Int64> position;
  std::vector<std::string> event_type, from, to, outcome, at, message_id;
  // Status names are never empty, so '' can stand for NULL without a nullable extraction.
  tx.Run("SELECT position, event_type, COALESCE(from_status, ''), COALESCE(to_status, ''), outcome, at, message_id "
         "FROM order_history "
         "WHERE order_id = ? ORDER BY position",
         into(position), into(event_type), into(from), into(to), into(outcome), into(at), into(message_id), order_id);
  std::vector<HistoryEntry> entries;
  for (std::size_t i = 0; i < position.size(); ++i) {
    HistoryEntry e;
    e.position = position[i];
    e.event_type = event_type[i];
    if (!from[i].empty()) e.from = from[i];
    if (!to[i].empty()) e.to = to[i];
    e.outcome = outcome[i];
    e.at = at[i];
    e.message_id = message_id[i];
    entries.push_back(std::move(e));
  }
  return entries;
}

std::string OrderLockName(std::string_view order_id) { return std::string("choreo.order:").append(order_id); }

namespace {

// Loads the order and keeps it to this transaction until it ends. An existing order is
// locked by its row. An order not stored yet has no row to lock, and two replicas could
// both act on "unknown": both create it (one insert then loses, the second pass below)
// or, worse, both append history at position 1 (payment.refunded, which creates no row,
// against order.placed: the loser failed on the primary key and went to a retry). So on
// PostgreSQL an unknown order is locked by its advisory lock first and read again:
// whoever held it before has committed by then, and its row, if any, is seen and locked.
std::optional<OrderState> LockOrder(store::Tx& tx, const std::string& order_id) {
  std::optional<OrderState> current = LoadOrder(tx, order_id, /*for_update=*/true);
  if (current || tx.Dialect() != store::Dialect::kPostgres) return current;
  store::LockUntilEnd(tx, OrderLockName(order_id));
  return LoadOrder(tx, order_id, /*for_update=*/true);
}

}  // namespace

void HandleFact(worker::Context& ctx, const std::string& order_id, const OrderFact& fact) {
  store::Tx& tx = ctx.Tx();
  const std::string now = contracts::NowRfc3339();
  // Two passes at most: the second runs only if a replica created the order between our
  // read and our insert, and then finds (and locks) its row.
  for (int pass = 0; pass < 2; ++pass) {
    const std::optional<OrderState> current = LockOrder(tx, order_id);
    const Step step = Apply(order_id, current, fact);
    if (step.state_changed) {
      if (!current) {
        if (!InsertOrder(tx, order_id, *step.state, now)) continue;
      } else {
        UpdateOrder(tx, order_id, *step.state, now);
      }
    }
    AppendHistory(tx, order_id, fact, step, ctx.Message().message_id);
    if (step.status_changed) ctx.Publish(*step.status_changed);
    if (step.confirmed) ctx.Publish(*step.confirmed);
    if (step.cancelled) ctx.Publish(*step.cancelled);
    if (step.outcome == Outcome::kStale || step.outcome == Outcome::kAfterTerminal) {
      log::Debug("event ignored by the order state machine",
                 {{"order_id", order_id}, {"event", fact.event_type}, {"outcome", std::string(ToString(step.outcome))},
                  {"status", StatusName(step.from).value_or("")}});
    }
    return;
  }
  throw worker::TransientError("order " + order_id + " was created concurrently; retrying");
}

}  // namespace choreo::order
