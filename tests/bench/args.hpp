#pragma once
// choreo-bench's command line: which phases run and how long each one takes.
#include <cstddef>
#include <set>
#include <string>

namespace choreo::bench {

struct Args {
  std::string out;
  std::set<std::string> phases = {"raw", "worker", "saga", "gateway", "cluster", "flow", "curve"};
  int hop_messages = 20000;
  int saga_orders = 6000;
  double latency_seconds = 10;
  int wrk_seconds = 10;
  std::size_t worker_batch = 0;  // deliveries per transaction in the worker hop; 0: the runtime's default
  double latency_rate = 0;  // orders/s of the paced saga phase; 0 = half the sustained rate
  std::string work_dir;
  // The cluster phase's parts, to tell which one costs what (the capacity model):
  // broker "cluster" or "single" (the single test node), stores "postgres" or "sqlite".
  std::string cluster_broker = "cluster";
  std::string cluster_stores = "postgres";
  int cluster_replicas = 2;

  // flow: the broker-only saga (forwarders instead of workers).
  int flow_orders = 6000;
  double flow_limit = 0;  // orders/s; > 0 skips the flow measurement the curve needs
  // curve: open-loop HTTP steps through the gateway.
  std::string curve_fractions = "0.10,0.25,0.50,0.75,0.90";  // of the flow limit
  double curve_step_seconds = 10;
  double curve_grace_seconds = 5;  // after a step's schedule ends, before it counts as saturated
  int curve_refine = 2;            // extra steps between the last passing and the first failing rate
  int curve_connections = 0;       // 0: from the rate (8..48)
  std::string curve_mix = "ok=100";
  double slo_p99_ms = 250;
  // After the curve: offered this multiple of the SLO rate to a gateway that sheds load
  // (0: no overload step).
  double overload_factor = 1.5;

  void Validate() const;  // throws std::invalid_argument
};

// Throws std::invalid_argument on a bad flag; exits 0 after --help.
Args Parse(int argc, char** argv);

}  // namespace choreo::bench
