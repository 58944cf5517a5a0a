// orders.known, orders.terminal, orders.accepted: every accepted order reached the order
// worker and an end, and nothing happened to an order the gateway never accepted.
#include <algorithm>
#include <set>

#include "audit/checks.hpp"

namespace choreo::admin::audit {

CheckResult OrdersKnown(const AuditContext& a) {
  CheckResult c = MakeCheck("orders.known", "every order the gateway accepted is known to the order worker", "orders");
  if (!a.data.gateway) return Skipped(c, "no gateway store");
  if (!a.data.orders) return Skipped(c, "no order store");
  for (const auto& [id, f] : a.Orders()) {
    if (!f.accepted) continue;
    ++c.checked;
    if (f.order) continue;
    if (a.Young(f.accepted->created_at_ms)) {
      ++c.tolerated;
    } else {
      c.offenders.push_back(
          {id, "unknown to the order worker, accepted " + AgeText(a.data.now_ms, f.accepted->created_at_ms) + " ago"});
    }
  }
  return Finish(c);
}

CheckResult OrdersTerminal(const AuditContext& a) {
  CheckResult c = MakeCheck("orders.terminal", "every accepted order is CONFIRMED or CANCELLED", "orders");
  if (!a.data.orders) return Skipped(c, "no order store");
  for (const auto& [id, f] : a.Orders()) {
    if (!a.InScope(f) || !f.order) continue;
    ++c.checked;
    if (IsTerminal(*f.order)) continue;
    if (a.Young(f.CreatedMs())) {
      ++c.tolerated;
    } else {
      c.offenders.push_back({id, "still " + Lower(f.order->status) + " " + AgeText(a.data.now_ms, f.CreatedMs()) +
                                     " after it was placed"});
    }
  }
  if (a.options.in_flight) c.note = "orders younger than " + FormatAge(*a.options.in_flight) + " may be moving";
  return Finish(c);
}

CheckResult UnacceptedEffects(const AuditContext& a) {
  CheckResult c = MakeCheck("orders.accepted",
                            "no state, charge, refund or e-mail for an order the gateway never accepted", "orders");
  if (!a.data.gateway) return Skipped(c, "no gateway store");
  for (const auto& [id, f] : a.Orders()) {
    ++c.checked;
    if (f.accepted) continue;
    std::vector<std::string> where;
    if (f.order) where.push_back("order state");
    if (f.reservation) where.push_back("reservation");
    if (f.rejected) where.push_back("rejection");
    if (f.payment) where.push_back("payment record");
    if (f.shipment) where.push_back("shipment");
    if (!f.notifications.empty()) where.push_back("notification record");
    if (!f.captures.empty()) where.push_back(std::to_string(f.captures.size()) + " capture(s)");
    if (!f.declined.empty()) where.push_back(std::to_string(f.declined.size()) + " declined charge(s)");
    std::size_t refunds = 0;
    for (const ChargeRecord* ch : f.captures) refunds += a.RefundsOf(ch->charge_id).size();
    if (refunds > 0) where.push_back(std::to_string(refunds) + " refund(s)");
    if (!f.emails.empty()) where.push_back(std::to_string(f.emails.size()) + " e-mail(s)");
    std::string text;
    for (const auto& w : where) text += (text.empty() ? "" : ", ") + w;
    c.offenders.push_back({id, "never accepted by the gateway, yet has " + text});
  }
  return Finish(c);
}

}  // namespace choreo::admin::audit
