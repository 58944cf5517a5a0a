#include "choreo/order/facts.hpp"

#include "choreo/contracts/time.hpp"

namespace choreo::order::facts {

namespace {

using Poco::Data::Keywords::into;

// The worker writes its times as RFC 3339 text.
std::optional<std::int64_t> ParseTimeMs(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  auto at = contracts::ParseRfc3339(*text);
  if (!at) return std::nullopt;
  return at->time_since_epoch().count();
}

}  // namespace

namespace {

// The rows of order_states, all of them or one order's.
std::vector<OrderRecord> Read(store::Tx& tx, const std::optional<std::string>& order_id) {
  std::vector<std::string> ids, statuses, created, updated;
  std::vector<std::optional<std::string>> reasons, terminal;
  std::vector<std::optional<Poco::Int64>> totals;
  constexpr const char* kSelect =
      "SELECT order_id, status, reason, total_minor, created_at, terminal_at, updated_at FROM order_states ";
  if (order_id) {
    tx.Run(std::string(kSelect) + "WHERE order_id = ?", into(ids), into(statuses), into(reasons), into(totals),
           into(created), into(terminal), into(updated), *order_id);
  } else {
    tx.Run(std::string(kSelect) + "ORDER BY order_id", into(ids), into(statuses), into(reasons), into(totals),
           into(created), into(terminal), into(updated));
  }
  std::vector<OrderRecord> out;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    OrderRecord r;
    r.order_id = ids[i];
    r.status = statuses[i];
    r.reason = reasons[i];
    if (totals[i]) r.total_minor = *totals[i];
    r.created_at_ms = ParseTimeMs(created[i]);
    r.changed_at_ms = ParseTimeMs(terminal[i] ? terminal[i] : std::optional<std::string>(updated[i]));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

std::vector<OrderRecord> ReadOrders(store::Tx& tx) { return Read(tx, std::nullopt); }

std::optional<OrderRecord> ReadOrder(store::Tx& tx, const std::string& order_id) {
  std::vector<OrderRecord> rows = Read(tx, order_id);
  if (rows.empty()) return std::nullopt;
  return std::move(rows.front());
}

}  // namespace choreo::order::facts
