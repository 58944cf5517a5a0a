#pragma once
// `choreo-admin topology apply`: the whole topology of contracts/topology.hpp on a broker,
// with the policies it needs (Policies(): delivery limits). Components declare the queues
// themselves on every connect, but only a policy reaches a queue that already exists (a
// queue's x-arguments cannot change), and policies are set through the management API,
// which components do not use. infra/up runs this after the broker is up, before any
// component starts; tests call ApplyPolicies on their own vhost.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "choreo/admin/admin.hpp"
#include "choreo/contracts/topology.hpp"

namespace choreo::admin {

struct TopologyOptions {
  // Deliveries without an ack after which a work queue dead-letters a message (the
  // crash-loop breaker); see contracts::topology::kDefaultDeliveryLimit.
  int64_t delivery_limit = contracts::topology::kDefaultDeliveryLimit;

  // std::invalid_argument when the limit is out of range.
  void Validate() const;
};

enum class PolicyChange { kCreated, kUpdated, kUnchanged };
const char* ToString(PolicyChange change);

struct PolicyOutcome {
  contracts::topology::Policy policy;
  PolicyChange change = PolicyChange::kUnchanged;
};

struct TopologyReport {
  std::string vhost;
  std::string broker_version;  // rabbitmq_version of /api/overview
  std::size_t exchanges = 0;   // declared (0 when only the policies were applied)
  std::size_t queues = 0;
  std::vector<PolicyOutcome> policies;
  std::vector<std::string> warnings;
};

// The policy's definition as JSON, as the management API takes it: {"delivery-limit":50}.
std::string DefinitionJson(const contracts::topology::Policy& policy);

// Sets every policy of contracts::topology::Policies() on the vhost of the AMQP URL
// through the management API. Idempotent: a policy that is already as wanted is not
// written again (rewriting one makes every matching quorum queue update its
// configuration). Throws CommandError / UsageError.
TopologyReport ApplyPolicies(const Endpoints& endpoints, const TopologyOptions& options);

// Declares every exchange, queue and binding (choreo::topology::DeclareAll), then
// ApplyPolicies. Idempotent.
TopologyReport ApplyTopology(const Endpoints& endpoints, const TopologyOptions& options);

// The delivery limit a quorum queue enforces, from its x-delivery-limit argument and the
// delivery-limit of its effective policy (the smaller wins, as in RabbitMQ), else the
// broker's default: 20 from RabbitMQ 4.0, none before. nullopt when unlimited.
std::optional<int64_t> EffectiveDeliveryLimit(std::optional<int64_t> argument,
                                              std::optional<int64_t> policy,
                                              std::string_view broker_version);

// "3.10.8" -> {3, 10}; {0, 0} when unreadable.
std::pair<int, int> MajorMinor(std::string_view version);

}  // namespace choreo::admin
