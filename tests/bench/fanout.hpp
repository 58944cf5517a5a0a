#pragma once
// What each worker publishes for each event it consumes, on the way of an order that ends
// CONFIRMED: the forwarder flow (forwarder.hpp) replays exactly this with bare broker
// clients to find the limit of the flow on this machine. Read from the workers' handlers
// (workers/*/src) and docs/architecture.md; bench_logic_test checks it against the
// contracts topology (every rule is a subscription, every emitted event is the worker's
// own, every delivery of the flow has a rule, the flow ends in one order.confirmed).
#include <span>
#include <string_view>
#include <vector>

namespace choreo::bench {

struct FanoutRule {
  std::string_view worker;    // its work queue
  std::string_view consumes;  // event type
  std::vector<std::string_view> emits;  // event types, in publish order; exchange from the catalog
};

std::span<const FanoutRule> HappyPathFanout();
// nullptr when the table has no rule: the forwarder acks such a delivery and counts it.
const FanoutRule* FindRule(std::string_view worker, std::string_view event_type);

// One order through the table and the topology (the contracts' subscriptions), from
// order.placed; delay-queue deliveries are left out (they arrive minutes later). Throws
// std::logic_error when a delivery has no rule or the flow does not end.
struct FlowCount {
  int publishes = 0;   // order.placed included
  int deliveries = 0;  // to work queues
  int confirmed = 0;   // order.confirmed events
  int delayed = 0;     // messages parked in a delay queue
};
FlowCount SimulateOrder();

}  // namespace choreo::bench
