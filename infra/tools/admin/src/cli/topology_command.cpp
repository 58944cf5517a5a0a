// topology apply: every exchange, queue and binding, and choreo's policies.
#include <cstdlib>
#include <ostream>

#include "choreo/admin/topology.hpp"
#include "cli/commands.hpp"
#include "text.hpp"

namespace choreo::admin::cli {

namespace {

using nlohmann::json;

constexpr const char* kTopologyUsage = R"(Usage: choreo-admin topology apply [--delivery-limit N] [--json]

Declares every exchange, queue and binding of the choreo topology on the vhost of the AMQP
URL (as every component does when it connects), then sets choreo's policies through the
management API, so that queues that already exist get them too:
  choreo-work-queues         the work queues: delivery-limit N. A message delivered N + 1
                             times without an ack (its consumer crashed or timed out each
                             time) goes to <queue>.dlq instead of crashing consumers forever
  choreo-dead-letter-queues  the .dlq queues: a delivery limit no inspection reaches, so that
                             'dlq show' can never make the broker drop a dead letter
Idempotent: run it again, it changes only what differs. infra/up runs it before the
components start.

  --delivery-limit N  deliveries without an ack before a work queue dead-letters a message
                      (env CHOREO_DELIVERY_LIMIT, default 50)
)";

TopologyOptions OptionsFrom(const Args& args, const CliEnvironment& env) {
  TopologyOptions options;
  const std::string from_flag = args.Last("delivery-limit").value_or("");
  if (args.Has("delivery-limit") && from_flag.empty()) throw UsageError("--delivery-limit needs a number");
  const std::string text = args.Has("delivery-limit") ? from_flag : env.delivery_limit;
  if (!text.empty()) {
    char* end = nullptr;
    long long n = std::strtoll(text.c_str(), &end, 10);
    if (*end != '\0') {
      throw UsageError("--delivery-limit / CHOREO_DELIVERY_LIMIT needs a whole number, got '" + text + "'");
    }
    options.delivery_limit = n;
  }
  return options;
}

int TopologyApply(const Args& args, const Io& io) {
  NoMoreArguments(args, 2);
  const TopologyOptions options = OptionsFrom(args, io.env);
  TopologyReport report = ApplyTopology(EndpointsFrom(args, io.env), options);
  for (const std::string& w : report.warnings) io.err << "choreo-admin: warning: " << w << "\n";
  if (args.Has("json")) {
    json j = {{"vhost", report.vhost}, {"broker_version", report.broker_version}, {"exchanges", report.exchanges},
              {"queues", report.queues}, {"policies", json::array()}};
    for (const PolicyOutcome& p : report.policies) {
      j["policies"].push_back({{"name", p.policy.name}, {"change", ToString(p.change)}, {"pattern", p.policy.pattern},
                               {"definition", json::parse(DefinitionJson(p.policy))}, {"priority", p.policy.priority}});
    }
    j["warnings"] = report.warnings;
    io.out << PrettyJson(j) << "\n";
    return kExitOk;
  }
  io.out << "vhost '" << report.vhost << "' (RabbitMQ " << Display(report.broker_version) << "): " << report.exchanges
         << " exchanges and " << report.queues << " queues declared\n";
  std::vector<std::vector<std::string>> rows;
  for (const PolicyOutcome& p : report.policies) {
    rows.push_back({p.policy.name, ToString(p.change), DefinitionJson(p.policy), p.policy.pattern});
  }
  PrintTable(io.out, {"POLICY", "CHANGE", "DEFINITION", "PATTERN"}, rows);
  return kExitOk;
}

void TopologyOptionsOf(Poco::Util::OptionSet& options) { AddOnce(options, Valued("delivery-limit", "N")); }

}  // namespace

Command TopologyApplyCommand() {
  return {.path = {"topology", "apply"}, .usage = kTopologyUsage, .define = TopologyOptionsOf, .run = TopologyApply};
}

}  // namespace choreo::admin::cli
