#include "fanout.hpp"

#include <deque>
#include <stdexcept>
#include <string>

#include "choreo/contracts/topology.hpp"

namespace choreo::bench {

namespace {

// docs/architecture.md, "The order flow", for tok_ok, a stocked SKU and a served country.
// The order worker moves to PAID on whichever of payment.captured and inventory.committed
// comes first and stays there on the second; here payment.captured is first (it is
// published first, one hop earlier), so inventory.committed emits nothing.
const std::vector<FanoutRule> kRules = {
    {"order", "order.placed", {"order.status_changed"}},        // created PLACED
    {"order", "inventory.reserved", {"order.status_changed"}},  // RESERVED
    {"order", "payment.captured", {"order.status_changed"}},    // PAID
    {"order", "inventory.committed", {}},                       // PAID already
    {"order", "shipment.scheduled", {"order.status_changed", "order.confirmed"}},
    // The hold and its timer, in one transaction (inventory.cpp, Reserve).
    {"inventory", "order.placed", {"inventory.reserved", "inventory.reservation_deadline"}},
    {"inventory", "payment.captured", {"inventory.committed"}},
    {"payment", "inventory.reserved", {"payment.captured"}},
    {"shipping", "inventory.committed", {"shipment.scheduled"}},
    {"notification", "order.confirmed", {"notification.sent"}},  // nobody subscribes: returned
    {"gateway", "order.status_changed", {}},                     // the read model only
    {"gateway", "order.confirmed", {}},
};

bool Delayed(std::string_view worker, std::string_view event_type) {
  for (const auto& s : contracts::topology::Subscriptions()) {
    if (s.worker == worker && s.event_type == event_type) return s.delivery == contracts::topology::Delivery::kDelayQueue;
  }
  return false;
}

}  // namespace

std::span<const FanoutRule> HappyPathFanout() { return kRules; }

const FanoutRule* FindRule(std::string_view worker, std::string_view event_type) {
  for (const auto& rule : kRules) {
    if (rule.worker == worker && rule.consumes == event_type) return &rule;
  }
  return nullptr;
}

FlowCount SimulateOrder() {
  FlowCount count;
  std::deque<std::string> published = {"order.placed"};
  count.publishes = 1;
  while (!published.empty()) {
    const std::string event = published.front();
    published.pop_front();
    if (event == "order.confirmed") count.confirmed++;
    for (const std::string& worker : contracts::topology::SubscribersOf(event)) {
      if (Delayed(worker, event)) {
        count.delayed++;
        continue;
      }
      const FanoutRule* rule = FindRule(worker, event);
      if (rule == nullptr) throw std::logic_error("no fan-out rule for " + event + " on " + worker);
      count.deliveries++;
      for (std::string_view out : rule->emits) {
        published.emplace_back(out);
        count.publishes++;
      }
      if (count.publishes > 1000) throw std::logic_error("the fan-out table loops");
    }
  }
  return count;
}

}  // namespace choreo::bench
