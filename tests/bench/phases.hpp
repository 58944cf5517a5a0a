#pragma once
// The phases of choreo-bench, one file each. Each works in a fresh vhost of the broker
// infra/bench started and returns its figures; report.cpp turns them into the table and
// var/bench/latest.json.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "args.hpp"
#include "common.hpp"
#include "load.hpp"

namespace choreo::bench {

// raw_hop.cpp: bare consumer/publisher, consume from A, publish to B, ack up to the last
// confirmed publish; hops/s.
double RawHop(const Args& args);

// worker_hop.cpp: a runtime Worker (SQLite store) whose handler publishes one event per
// message; hops/s.
struct WorkerHopResult {
  double hops_per_s = 0;
  std::size_t batch_size = 0;
};
WorkerHopResult WorkerHop(const Args& args);

// saga.cpp: the five workers and the provider as processes, order.placed published
// straight to the broker: a burst for the sustained rate, then paced orders.
struct SagaResult {
  double orders_per_s = 0;
  double latency_rate = 0;
  int latency_orders = 0;
  load::LatencySummary latency;
  int confirmed = 0;
  json rss = json::object();
};
SagaResult Saga(const Args& args);         // embedded profile
SagaResult ClusterSaga(const Args& args);  // cluster profile

// gateway_wrk.cpp: wrk against the gateway, then against a bare Poco server.
struct WrkResult {
  double requests_per_s = 0;  // 2xx only
  double p50_ms = 0, p99_ms = 0;
  long requests = 0, non_2xx = 0, errors = 0;
};
struct GatewayResult {
  WrkResult gateway, bare;
  double gateway_rss_mb = 0;
};
GatewayResult Gateway(const Args& args);

// flow_phase.cpp: the limit of the order flow on this machine, with forwarders
// (forwarder.hpp) in place of the workers.
struct FlowResult {
  double orders_per_s = 0;
  int orders = 0;
  int publishes_per_order = 0, deliveries_per_order = 0;
  json forwarders = json::object();  // per queue: deliveries, publishes, returned, unexpected
};
FlowResult FlowLimit(const Args& args);
// The same on the cluster the cluster phase uses (--cluster-broker): what three
// replicating nodes allow on this machine, the ceiling of the cluster saga.
FlowResult ClusterFlowLimit(const Args& args);

// curve_phase.cpp: open-loop HTTP steps through the gateway at fractions of the flow
// limit, embedded profile.
struct CurveStep {
  double rate = 0, fraction = 0;
  bool refine = false;
  std::size_t scheduled = 0, accepted = 0, post_failures = 0, terminal = 0, confirmed = 0, cancelled = 0;
  double achieved_per_s = 0;
  load::LatencySummary latency;  // scheduled send -> terminal event seen
  load::LatencySummary post;     // scheduled send -> 202
  double max_send_lag_ms = 0;    // how late the latest send left after its scheduled time
  int connections = 0;
  bool saturated = false;
  std::string why;
  std::string first_post_failure;
  std::map<int, std::size_t> refused;  // HTTP status (0: no answer) -> orders
};
// The overload step: a gateway with load shedding on (CHOREO_GATEWAY_MAX_IN_FLIGHT) offered
// more than the SLO rate; what it accepted must still finish in time, the rest be refused.
struct OverloadResult {
  double offered_per_s = 0;
  std::size_t max_in_flight = 0;
  CurveStep step;  // latency over the accepted orders only
  std::size_t shed_429 = 0, shed_503 = 0, other_failures = 0;
};
struct CurveResult {
  double flow_limit = 0;
  std::vector<CurveStep> steps;  // in the order measured
  double slo_orders_per_s = 0;   // 0: no step met the SLO
  double slo_p99_ms = 0;
  std::optional<OverloadResult> overload;
  json rss = json::object();
};
CurveResult Curve(const Args& args, double flow_limit);

}  // namespace choreo::bench
