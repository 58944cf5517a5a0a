// Inventory's books: stock.conserved, stock.sold, stock.reserved, reservations.state.
#include <algorithm>
#include <set>

#include "audit/checks.hpp"

namespace choreo::admin::audit {

namespace {

std::map<std::string, std::int64_t> SumReservations(const AuditContext& a, std::string_view state) {
  std::map<std::string, std::int64_t> sums;
  for (const auto& r : a.data.inventory->reservations) {
    if (r.state != state) continue;
    for (const auto& [sku, q] : r.quantities) sums[sku] += q;
  }
  return sums;
}

void CompareCounter(const AuditContext& a, CheckResult& c, const std::map<std::string, std::int64_t>& expected,
                    const char* what, std::int64_t StockRecord::*counter) {
  std::set<std::string> seen;
  for (const auto& s : a.data.inventory->stock) {
    seen.insert(s.sku);
    ++c.checked;
    auto it = expected.find(s.sku);
    const std::int64_t want = it == expected.end() ? 0 : it->second;
    if (s.*counter != want) {
      c.offenders.push_back({s.sku, std::string(what) + " " + std::to_string(s.*counter) +
                                        " != " + std::to_string(want) + " in " +
                                        (std::string(what) == "sold" ? "committed" : "held") + " reservations"});
    }
  }
  for (const auto& [sku, q] : expected) {
    if (seen.count(sku) == 0) c.offenders.push_back({sku, std::to_string(q) + " units in reservations, no stock row"});
  }
}

}  // namespace

CheckResult StockConserved(const AuditContext& a) {
  CheckResult c = MakeCheck("stock.conserved", "per SKU, initial stock = available + reserved + sold", "SKUs");
  if (!a.data.inventory) return Skipped(c, "no inventory store");
  std::set<std::string> in_store;
  for (const auto& s : a.data.inventory->stock) {
    in_store.insert(s.sku);
    ++c.checked;
    std::vector<std::string> problems;
    std::int64_t initial = s.total;
    if (a.data.catalog) {
      auto it = a.data.catalog->find(s.sku);
      if (it == a.data.catalog->end()) {
        problems.push_back("not in the catalog");
      } else {
        initial = it->second;
        if (s.total != initial) {
          problems.push_back("total " + std::to_string(s.total) + " != catalog " + std::to_string(initial));
        }
      }
    }
    const std::int64_t sum = s.available + s.reserved + s.sold;
    if (sum != initial) {
      problems.push_back("available " + std::to_string(s.available) + " + reserved " + std::to_string(s.reserved) +
                         " + sold " + std::to_string(s.sold) + " = " + std::to_string(sum) + " != initial " +
                         std::to_string(initial));
    }
    if (s.available < 0 || s.reserved < 0 || s.sold < 0) problems.push_back("negative counter");
    AddProblems(c, s.sku, problems);
  }
  if (a.data.catalog) {
    for (const auto& [sku, stock] : *a.data.catalog) {
      if (in_store.count(sku) == 0) {
        ++c.checked;
        c.offenders.push_back({sku, "in the catalog (" + std::to_string(stock) + ") but has no stock row"});
      }
    }
  } else {
    c.note = "no catalog file: inventory_stock.total taken as the initial stock";
  }
  return Finish(c);
}

CheckResult StockSold(const AuditContext& a) {
  CheckResult c = MakeCheck("stock.sold", "per SKU, sold = quantities of committed reservations", "SKUs");
  if (!a.data.inventory) return Skipped(c, "no inventory store");
  CompareCounter(a, c, SumReservations(a, "committed"), "sold", &StockRecord::sold);
  return Finish(c);
}

CheckResult StockReserved(const AuditContext& a) {
  CheckResult c = MakeCheck("stock.reserved", "per SKU, reserved = quantities of held reservations", "SKUs");
  if (!a.data.inventory) return Skipped(c, "no inventory store");
  CompareCounter(a, c, SumReservations(a, "held"), "reserved", &StockRecord::reserved);
  return Finish(c);
}

CheckResult ReservationStates(const AuditContext& a) {
  CheckResult c = MakeCheck("reservations.state",
                            "no reservation is both committed and released; each agrees with its order and shipment",
                            "reservations");
  if (!a.data.inventory) return Skipped(c, "no inventory store");
  for (const auto& [id, f] : a.Orders()) {
    const ReservationRecord* r = f.reservation;
    const bool confirmed = f.order && IsConfirmed(*f.order);
    if (!r) {
      if (confirmed && a.data.orders && a.InScope(f)) {
        ++c.checked;
        c.offenders.push_back({id, "order confirmed without a reservation"});
      }
      continue;
    }
    ++c.checked;
    std::vector<std::string> problems;
    if (r->state != "held" && r->state != "committed" && r->state != "released") {
      problems.push_back("unknown state '" + r->state + "'");
    }
    if (r->state == "committed" && r->release_reason) {
      problems.push_back("committed and released (" + *r->release_reason + ")");
    }
    if (r->state == "released" && !r->release_reason) problems.push_back("released without a reason");
    if (r->state == "held" && r->release_reason) problems.push_back("held with release reason " + *r->release_reason);
    if (r->quantities.empty()) problems.push_back("no lines");
    if (r->state == "released" && f.shipment && f.shipment->outcome == "scheduled") {
      problems.push_back("released (" + r->release_reason.value_or("?") +
                         ") although its shipment is scheduled: committed and released");
    }
    bool waiting = false;
    if (f.order && a.data.orders) {
      // Inventory is read after the order store and commits before the confirmation:
      // a confirmed order's reservation is committed, no tolerance.
      if (confirmed && r->state != "committed") problems.push_back("order confirmed, reservation " + r->state);
      if (IsCancelled(*f.order) && r->state != "released") {
        // Order and inventory react to the same cancelling event in parallel.
        if (a.Young(f.order->changed_at_ms)) {
          waiting = true;
        } else {
          problems.push_back("order cancelled, reservation still " + r->state);
        }
      }
    }
    if (waiting && problems.empty()) ++c.tolerated;
    AddProblems(c, id, problems);
  }
  return Finish(c);
}

}  // namespace choreo::admin::audit
