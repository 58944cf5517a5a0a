// topology apply: declare everything, set the policies.
#include <charconv>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "broker.hpp"
#include "choreo/admin/topology.hpp"
#include "choreo/topology/declare.hpp"

namespace choreo::admin {

namespace topo = contracts::topology;

namespace {

nlohmann::json Definition(const topo::Policy& policy) {
  nlohmann::json definition = nlohmann::json::object();
  for (const auto& [key, value] : policy.definition) {
    std::visit([&](const auto& v) { definition[key] = v; }, value);
  }
  return definition;
}

// The body of PUT /api/policies/{vhost}/{name}.
nlohmann::json PolicyBody(const topo::Policy& policy) {
  return {{"pattern", policy.pattern},
          {"apply-to", policy.apply_to},
          {"definition", Definition(policy)},
          {"priority", policy.priority}};
}

bool SameAs(const nlohmann::json& existing, const nlohmann::json& wanted) {
  for (const char* key : {"pattern", "apply-to", "definition", "priority"}) {
    if (!existing.contains(key) || existing[key] != wanted[key]) return false;
  }
  return true;
}

// A bad option is the operator's mistake (exit code 2), found before anything is touched.
void RequireValid(const TopologyOptions& options) {
  try {
    options.Validate();
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
}

}  // namespace

std::string DefinitionJson(const topo::Policy& policy) { return Definition(policy).dump(); }

void TopologyOptions::Validate() const {
  topo::Policies(delivery_limit);  // throws std::invalid_argument when out of range
}

const char* ToString(PolicyChange change) {
  switch (change) {
    case PolicyChange::kCreated: return "created";
    case PolicyChange::kUpdated: return "updated";
    case PolicyChange::kUnchanged: return "unchanged";
  }
  return "unknown";
}

std::pair<int, int> MajorMinor(std::string_view version) {
  int major = 0, minor = 0;
  const char* end = version.data() + version.size();
  auto [p, ec] = std::from_chars(version.data(), end, major);
  if (ec != std::errc() || p == end || *p != '.') return {0, 0};
  auto [q, ec2] = std::from_chars(p + 1, end, minor);
  if (ec2 != std::errc()) return {0, 0};
  return {major, minor};
}

std::optional<int64_t> EffectiveDeliveryLimit(std::optional<int64_t> argument,
                                              std::optional<int64_t> policy,
                                              std::string_view broker_version) {
  std::optional<int64_t> limit;
  if (argument && policy) {
    // RabbitMQ's rule: the smaller wins, except that a negative value (unlimited, 4.x)
    // loses to a limit.
    limit = (*argument < 0 || *policy < 0) ? std::max(*argument, *policy) : std::min(*argument, *policy);
  } else if (argument || policy) {
    limit = argument ? argument : policy;
  } else if (MajorMinor(broker_version).first >= 4) {
    limit = 20;  // quorum queues' default since RabbitMQ 4.0
  }
  if (limit && *limit < 0) return std::nullopt;
  return limit;
}

TopologyReport ApplyPolicies(const Endpoints& endpoints, const TopologyOptions& options) {
  RequireValid(options);
  TopologyReport report;
  report.vhost = detail::VhostOf(endpoints);
  const nlohmann::json overview = detail::ManagementGet(endpoints, "/api/overview");
  report.broker_version = overview.value("rabbitmq_version", "");
  const auto [major, minor] = MajorMinor(report.broker_version);
  if (major < 3 || (major == 3 && minor < 10)) {
    report.warnings.push_back("RabbitMQ " + (report.broker_version.empty() ? "?" : report.broker_version) +
                              " is older than 3.10, the oldest version choreo supports (at-least-once "
                              "dead-lettering, delivery_limit dead letters)");
  }
  const std::string base = "/api/policies/" + detail::EncodeSegment(report.vhost) + "/";
  for (const topo::Policy& policy : topo::Policies(options.delivery_limit)) {
    const std::string path = base + detail::EncodeSegment(policy.name);
    const nlohmann::json wanted = PolicyBody(policy);
    detail::ManagementResponse existing = detail::ManagementRequest(endpoints, "GET", path);
    PolicyOutcome outcome{policy, PolicyChange::kCreated};
    if (existing.status == 200 && existing.body.is_object()) {
      outcome.change = SameAs(existing.body, wanted) ? PolicyChange::kUnchanged : PolicyChange::kUpdated;
    } else if (existing.status != 404) {
      throw CommandError("management API: GET " + existing.url + " answered HTTP " +
                         std::to_string(existing.status));
    }
    if (outcome.change != PolicyChange::kUnchanged) detail::ManagementPut(endpoints, path, wanted);
    report.policies.push_back(std::move(outcome));
  }
  return report;
}

TopologyReport ApplyTopology(const Endpoints& endpoints, const TopologyOptions& options) {
  RequireValid(options);
  std::size_t exchanges = topo::Exchanges().size(), queues = 0;
  for (const topo::WorkerTopology& component : topo::Workers()) queues += component.AllQueues().size();
  {
    auto connection = detail::OpenConnection(endpoints);
    detail::Translated(endpoints, "", [&] {
      topology::DeclareAll(*connection);
      return 0;
    });
  }
  TopologyReport report = ApplyPolicies(endpoints, options);
  report.exchanges = exchanges;
  report.queues = queues;
  return report;
}

}  // namespace choreo::admin
