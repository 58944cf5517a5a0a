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

std::vector<OrderRecord> ReadOrders(store::Tx& tx) {
  std::vector<std::string> ids, statuses, created, updated;
  std::vector<std::optional<std::string>> reasons, terminal;
  std::vector<std::optional<Poco::Int64>> totals;
  tx.Run(
      "SELECT order_id, status, reason, total_minor, created_at, terminal_at, updated_at FROM order_states "
      "ORDER BY order_id",
      into(ids), into(statuses), into(reasons), into(totals), into(created), into(terminal), into(updated));
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

}  // namespace choreo::order::facts
