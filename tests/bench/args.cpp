#include "args.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "choreo/testing/testing.hpp"
#include "curve_logic.hpp"
#include "load.hpp"

namespace choreo::bench {

namespace {

constexpr const char* kUsage =
    "usage: choreo-bench [--out FILE] [--phases raw,worker,saga,gateway,cluster,flow,curve] [--work-dir DIR]\n"
    "  raw/worker:  [--hop-messages N] [--worker-batch N]\n"
    "  saga:        [--saga-orders N] [--latency-seconds S] [--latency-rate ORDERS_PER_S]\n"
    "  gateway:     [--wrk-seconds S]\n"
    "  cluster:     [--cluster-broker cluster|single] [--cluster-stores postgres|sqlite] [--cluster-replicas N]\n"
    "  flow:        [--flow-orders N] [--flow-limit ORDERS_PER_S (skip the measurement)]\n"
    "  curve:       [--curve-fractions 0.10,0.25,0.50,0.75,0.90] [--curve-step-seconds S]\n"
    "               [--curve-grace-seconds S] [--curve-refine N] [--curve-connections N (0: auto)]\n"
    "               [--curve-mix ok=100] [--slo-p99-ms MS] [--overload-factor F (0: no overload step)]\n";

}  // namespace

void Args::Validate() const {
  if (cluster_broker != "cluster" && cluster_broker != "single") throw std::invalid_argument("--cluster-broker is cluster or single");
  if (cluster_stores != "postgres" && cluster_stores != "sqlite") throw std::invalid_argument("--cluster-stores is postgres or sqlite");
  if (cluster_replicas < 1 || cluster_replicas > 8) throw std::invalid_argument("--cluster-replicas is 1..8");
  if (flow_orders < 1) throw std::invalid_argument("--flow-orders must be at least 1");
  if (flow_limit < 0) throw std::invalid_argument("--flow-limit must be >= 0");
  if (curve_step_seconds <= 0 || curve_grace_seconds < 0) throw std::invalid_argument("--curve-step-seconds > 0, --curve-grace-seconds >= 0");
  if (curve_refine < 0 || curve_refine > 4) throw std::invalid_argument("--curve-refine is 0..4");
  if (curve_connections < 0 || curve_connections > 60) throw std::invalid_argument("--curve-connections is 0..60 (the gateway serves 64)");
  if (slo_p99_ms <= 0) throw std::invalid_argument("--slo-p99-ms must be positive");
  if (overload_factor != 0 && overload_factor <= 1) throw std::invalid_argument("--overload-factor is 0 (off) or > 1");
  ParseFractions(curve_fractions);
  for (const load::MixEntry& entry : load::ParseMix(curve_mix)) {
    if (entry.kind == load::Kind::kDuplicate) throw std::invalid_argument("--curve-mix: duplicates are not orders of their own");
  }
  static const std::set<std::string> known = {"raw", "worker", "saga", "gateway", "cluster", "flow", "curve"};
  for (const auto& p : phases) {
    if (!known.count(p)) throw std::invalid_argument("unknown phase '" + p + "'");
  }
}

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (i + 1 >= argc) throw std::invalid_argument("missing value for " + flag);
    const std::string value = argv[++i];
    if (flag == "--out") a.out = value;
    else if (flag == "--phases") {
      a.phases.clear();
      std::stringstream list(value);
      for (std::string p; std::getline(list, p, ',');) a.phases.insert(p);
    } else if (flag == "--hop-messages") a.hop_messages = std::stoi(value);
    else if (flag == "--saga-orders") a.saga_orders = std::stoi(value);
    else if (flag == "--latency-seconds") a.latency_seconds = std::stod(value);
    else if (flag == "--wrk-seconds") a.wrk_seconds = std::stoi(value);
    else if (flag == "--work-dir") a.work_dir = value;
    else if (flag == "--worker-batch") a.worker_batch = std::stoul(value);
    else if (flag == "--latency-rate") a.latency_rate = std::stod(value);
    else if (flag == "--cluster-broker") a.cluster_broker = value;
    else if (flag == "--cluster-stores") a.cluster_stores = value;
    else if (flag == "--cluster-replicas") a.cluster_replicas = std::stoi(value);
    else if (flag == "--flow-orders") a.flow_orders = std::stoi(value);
    else if (flag == "--flow-limit") a.flow_limit = std::stod(value);
    else if (flag == "--curve-fractions") a.curve_fractions = value;
    else if (flag == "--curve-step-seconds") a.curve_step_seconds = std::stod(value);
    else if (flag == "--curve-grace-seconds") a.curve_grace_seconds = std::stod(value);
    else if (flag == "--curve-refine") a.curve_refine = std::stoi(value);
    else if (flag == "--curve-connections") a.curve_connections = std::stoi(value);
    else if (flag == "--curve-mix") a.curve_mix = value;
    else if (flag == "--slo-p99-ms") a.slo_p99_ms = std::stod(value);
    else if (flag == "--overload-factor") a.overload_factor = std::stod(value);
    else throw std::invalid_argument("unknown flag " + flag);
  }
  a.Validate();
  if (a.work_dir.empty()) {
    a.work_dir = (std::filesystem::temp_directory_path() / testing::UniqueName("choreo-bench")).string();
  }
  return a;
}

}  // namespace choreo::bench
