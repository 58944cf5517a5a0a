#pragma once
// The handlers of one consuming component, by event type. Registration is checked against
// the contracts and the topology, so a handler that could never receive its event (no
// contract, no subscription of this component) fails at start-up, not silently later.
// Pure: unit-tested without a broker or store.
#include <string>
#include <unordered_map>

#include "choreo/contracts/topology.hpp"
#include "choreo/worker/pipeline.hpp"

namespace choreo::worker::detail {

struct Registered {
  RawHandler handler;
  RawEffect effect;  // may be empty
};

class HandlerTable {
 public:
  // `component` must be a consuming component of the topology (its work queue and events).
  explicit HandlerTable(const std::string& component);

  // Throws std::invalid_argument when `event_type` has no contract or the component is not
  // subscribed to it. A second registration for a type replaces the first.
  void Add(std::string event_type, RawHandler handler, RawEffect effect);
  // nullptr when no handler is registered for `event_type`.
  const Registered* Find(const std::string& event_type) const;

  const contracts::topology::WorkerTopology& Topology() const { return topology_; }

 private:
  contracts::topology::WorkerTopology topology_;
  std::unordered_map<std::string, Registered> handlers_;
};

}  // namespace choreo::worker::detail
