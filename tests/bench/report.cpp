#include "report.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "choreo/contracts/time.hpp"
#include "table.hpp"

namespace choreo::bench {

namespace {

std::string Fixed(double v, int digits = 0) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, v);
  return buffer;
}

// A figure, or 0 when the phase did not run or had none (null).
bool Has(const json& out, const char* key) { return out.contains(key) && out[key].is_number(); }
double Num(const json& out, const char* key) { return Has(out, key) ? out[key].get<double>() : 0.0; }

void Ratio(json& out, const char* key, const char* numerator, const char* denominator) {
  if (Has(out, numerator) && Num(out, denominator) > 0) out[key] = Num(out, numerator) / Num(out, denominator);
}

}  // namespace

json StartReport() {
  json out = json::object();
  out["started_at"] = contracts::NowRfc3339();
  out["cpus"] = std::thread::hardware_concurrency();
  out["loadavg_before"] = LoadAverage();
  out["durability"] = "persistent messages, quorum queues, publisher confirms, SQLite WAL synchronous=FULL";
  return out;
}

void RecordRaw(json& out, double hops_per_s) { out["raw_hop_per_s"] = hops_per_s; }

void RecordWorker(json& out, const WorkerHopResult& r) {
  out["worker_hop_per_s"] = r.hops_per_s;
  out["worker_batch_size"] = r.batch_size;
}

void RecordSaga(json& out, const SagaResult& r) {
  out["saga_orders_per_s"] = r.orders_per_s;
  out["saga_latency_rate_per_s"] = r.latency_rate;
  out["saga_latency_orders"] = r.latency_orders;
  out["saga_p50_ms"] = r.latency.p50;
  out["saga_p90_ms"] = r.latency.p90;
  out["saga_p99_ms"] = r.latency.p99;
  out["saga_max_ms"] = r.latency.max;
  out["saga_confirmed"] = r.confirmed;
  for (auto& [name, mb] : r.rss.items()) out["rss_mb"][name] = mb;
}

void RecordCluster(json& out, const SagaResult& r, const std::string& setup) {
  out["cluster_setup"] = setup;
  out["cluster_saga_orders_per_s"] = r.orders_per_s;
  out["cluster_saga_latency_rate_per_s"] = r.latency_rate;
  out["cluster_saga_p50_ms"] = r.latency.p50;
  out["cluster_saga_p99_ms"] = r.latency.p99;
  out["cluster_saga_max_ms"] = r.latency.max;
  for (auto& [name, mb] : r.rss.items()) out["rss_mb"]["cluster " + name] = mb;
}

void RecordGateway(json& out, const GatewayResult& r) {
  out["gateway_accepted_per_s"] = r.gateway.requests_per_s;
  out["gateway_p50_ms"] = r.gateway.p50_ms;
  out["gateway_p99_ms"] = r.gateway.p99_ms;
  out["gateway_non_2xx"] = r.gateway.non_2xx;
  out["gateway_socket_errors"] = r.gateway.errors;
  out["poco_bare_per_s"] = r.bare.requests_per_s;
  out["poco_bare_p50_ms"] = r.bare.p50_ms;
  out["poco_bare_p99_ms"] = r.bare.p99_ms;
  out["rss_mb"]["gateway"] = r.gateway_rss_mb;
}

void RecordClusterFlow(json& out, const FlowResult& r) { out["cluster_flow_limit_orders_per_s"] = r.orders_per_s; }

void RecordFlow(json& out, const FlowResult& r) {
  out["flow_limit_orders_per_s"] = r.orders_per_s;
  out["flow_orders"] = r.orders;
  out["flow_publishes_per_order"] = r.publishes_per_order;
  out["flow_deliveries_per_order"] = r.deliveries_per_order;
  out["flow_forwarders"] = r.forwarders;
}

void RecordCurve(json& out, const CurveResult& r, double slo_p99_target_ms) {
  out["curve_flow_limit_orders_per_s"] = r.flow_limit;
  out["slo_p99_target_ms"] = slo_p99_target_ms;
  out["slo_orders_per_s"] = r.slo_orders_per_s;
  // No step met the SLO: no p99 to show for it.
  out["slo_p99_ms"] = r.slo_orders_per_s > 0 ? json(r.slo_p99_ms) : json(nullptr);
  json curve = json::array();
  for (const CurveStep& s : r.steps) {
    curve.push_back({{"rate", s.rate},
                     {"fraction_of_flow_limit", s.fraction},
                     {"refine", s.refine},
                     {"p50_ms", s.latency.p50},
                     {"p90_ms", s.latency.p90},
                     {"p99_ms", s.latency.p99},
                     {"max_ms", s.latency.max},
                     {"achieved_per_s", s.achieved_per_s},
                     {"scheduled", s.scheduled},
                     {"accepted", s.accepted},
                     {"post_failures", s.post_failures},
                     {"terminal", s.terminal},
                     {"confirmed", s.confirmed},
                     {"cancelled", s.cancelled},
                     {"post_p50_ms", s.post.p50},
                     {"post_p99_ms", s.post.p99},
                     {"max_send_lag_ms", s.max_send_lag_ms},
                     {"connections", s.connections},
                     {"saturated", s.saturated},
                     {"saturated_why", s.why},
                     {"meets_slo", !s.saturated && s.latency.p99 < slo_p99_target_ms}});
  }
  out["curve"] = std::move(curve);
  for (auto& [name, mb] : r.rss.items()) out["rss_mb"]["curve " + name] = mb;
  if (r.overload) {
    const OverloadResult& o = *r.overload;
    out["overload"] = {{"offered_per_s", o.offered_per_s},
                       {"max_in_flight", o.max_in_flight},
                       {"scheduled", o.step.scheduled},
                       {"accepted", o.step.accepted},
                       {"terminal", o.step.terminal},
                       {"accepted_p50_ms", o.step.latency.p50},
                       {"accepted_p99_ms", o.step.latency.p99},
                       {"accepted_per_s", o.step.achieved_per_s},
                       {"shed_503", o.shed_503},
                       {"shed_429", o.shed_429},
                       {"other_failures", o.other_failures}};
  }
}

void FinishReport(json& out) {
  out["loadavg_after"] = LoadAverage();
  if (out.contains("rss_mb")) {
    double max_rss = 0;
    for (auto& [name, mb] : out["rss_mb"].items()) max_rss = std::max(max_rss, mb.get<double>());
    out["max_rss_mb"] = max_rss;
  }
  Ratio(out, "worker_hop_ratio", "worker_hop_per_s", "raw_hop_per_s");
  Ratio(out, "cluster_saga_ratio", "cluster_saga_orders_per_s", "saga_orders_per_s");
  Ratio(out, "gateway_ratio", "gateway_accepted_per_s", "poco_bare_per_s");
  // choreo against the limit of its own flow on this machine.
  Ratio(out, "saga_flow_ratio", "saga_orders_per_s", "flow_limit_orders_per_s");
  Ratio(out, "slo_flow_ratio", "slo_orders_per_s", "curve_flow_limit_orders_per_s");
  // The cluster's own ceiling: its broker against one node's, and the saga against it.
  Ratio(out, "cluster_flow_ratio", "cluster_flow_limit_orders_per_s", "flow_limit_orders_per_s");
  Ratio(out, "cluster_saga_flow_ratio", "cluster_saga_orders_per_s", "cluster_flow_limit_orders_per_s");
}

namespace {
// A field of a nested object, or "-".
std::string Sub(const json& out, const char* object, const char* key, int digits = 0) {
  if (!out.contains(object) || !out[object].contains(key) || !out[object][key].is_number()) return "-";
  return Fixed(out[object][key].get<double>(), digits);
}
}  // namespace

void PrintSummary(const json& out) {
  auto pct = [&](const char* key) { return Has(out, key) ? Fixed(100 * Num(out, key)) + " %" : std::string("-"); };
  auto val = [&](const char* key, int digits = 0) { return Has(out, key) ? Fixed(Num(out, key), digits) : std::string("-"); };
  const std::string slo = val("slo_p99_target_ms");
  std::vector<std::vector<std::string>> rows = {
      {"raw broker hop (hops/s)", val("raw_hop_per_s"), "100 %", ""},
      {"worker hop (hops/s)", val("worker_hop_per_s"), pct("worker_hop_ratio"), ">= 60 % of raw"},
      {"flow limit, forwarders instead of workers (orders/s)", val("flow_limit_orders_per_s"), "100 %", ""},
      {"saga sustained (orders/s)", val("saga_orders_per_s"), pct("saga_flow_ratio"), ">= 1000"},
      {"saga p50 at " + val("saga_latency_rate_per_s") + "/s (ms)", val("saga_p50_ms", 1), "", ""},
      {"saga p99 at " + val("saga_latency_rate_per_s") + "/s (ms)", val("saga_p99_ms", 1), "", "< 250 at 500/s"},
      {"throughput at SLO via gateway, p99 < " + slo + " ms (orders/s)", val("slo_orders_per_s"), pct("slo_flow_ratio"),
       ""},
      {"p99 at that rate, submit to terminal (ms)", val("slo_p99_ms", 1), "", "< " + slo},
      {"overload: offered (orders/s), shedding gateway", Sub(out, "overload", "offered_per_s"), "", "1.5x the SLO rate"},
      {"overload: accepted orders p99, submit to terminal (ms)", Sub(out, "overload", "accepted_p99_ms", 1), "", "< 1000"},
      {"overload: accepted / refused 503 / refused 429 / failed",
       Sub(out, "overload", "accepted") + " / " + Sub(out, "overload", "shed_503") + " / " +
           Sub(out, "overload", "shed_429") + " / " + Sub(out, "overload", "other_failures"),
       "", "the rest refused at once"},
      {"cluster flow limit, forwarders on the cluster (orders/s)", val("cluster_flow_limit_orders_per_s"),
       Has(out, "cluster_flow_ratio") ? pct("cluster_flow_ratio") + " of flow limit" : "-", ""},
      {"cluster saga sustained (orders/s)", val("cluster_saga_orders_per_s"), pct("cluster_saga_ratio"),
       ">= 50 % of embedded saga"},
      {"cluster saga / cluster flow limit", "", pct("cluster_saga_flow_ratio"), ""},
      {"cluster saga p50 at " + val("cluster_saga_latency_rate_per_s") + "/s (ms)", val("cluster_saga_p50_ms", 1), "", ""},
      {"cluster saga p99 at " + val("cluster_saga_latency_rate_per_s") + "/s (ms)", val("cluster_saga_p99_ms", 1), "",
       "< 500 at half its rate"},
      {"bare Poco handler (req/s)", val("poco_bare_per_s"), "100 %", ""},
      {"gateway POST /orders accepted/s", val("gateway_accepted_per_s"), pct("gateway_ratio"), ">= 40 % of bare"},
      {"gateway p99 (ms)", val("gateway_p99_ms", 2), "", "< 10"},
      {"bare Poco p99 (ms)", val("poco_bare_p99_ms", 2), "", ""},
  };
  if (out.contains("rss_mb")) {
    for (auto& [name, mb] : out["rss_mb"].items()) {
      rows.push_back({"peak RSS " + name + " (MB)", Fixed(mb.get<double>(), 1), "", "< 30"});
    }
  }
  std::printf("\n");
  PrintMarkdownTable({"measure", "value", "ratio", "target"}, rows, "lrrl");
  std::printf("\nload average before: %s, after: %s (%u CPUs)\n", out["loadavg_before"].get<std::string>().c_str(),
              out["loadavg_after"].get<std::string>().c_str(), std::thread::hardware_concurrency());
}

void PrintCurve(const json& out) {
  if (!out.contains("curve")) return;
  std::vector<std::vector<std::string>> rows;
  for (const json& p : out["curve"]) {
    rows.push_back({Fixed(p["rate"].get<double>()) + (p["refine"].get<bool>() ? " (refine)" : ""),
                    Fixed(100 * p["fraction_of_flow_limit"].get<double>()) + " %", Fixed(p["p50_ms"].get<double>(), 1),
                    Fixed(p["p99_ms"].get<double>(), 1), Fixed(p["achieved_per_s"].get<double>()),
                    std::to_string(p["terminal"].get<long>()) + "/" + std::to_string(p["scheduled"].get<long>()),
                    std::to_string(p["confirmed"].get<long>()) + "/" + std::to_string(p["cancelled"].get<long>()),
                    std::to_string(p["post_failures"].get<long>()), Fixed(p["post_p99_ms"].get<double>(), 1),
                    p["saturated"].get<bool>() ? "saturated: " + p["saturated_why"].get<std::string>()
                                               : p["meets_slo"].get<bool>() ? "meets SLO" : "p99 over SLO"});
  }
  std::printf("\nlatency-throughput curve through the gateway (open loop, flow limit %s orders/s):\n",
              Fixed(Num(out, "curve_flow_limit_orders_per_s")).c_str());
  PrintMarkdownTable({"offered/s", "of limit", "p50 ms", "p99 ms", "achieved/s", "terminal", "confirmed/cancelled",
                      "POST failed", "POST p99 ms", "verdict"},
                     rows, "rrrrrrrrrl");
}

void WriteReport(json& out, const std::string& path) {
  if (path.empty()) return;
  std::filesystem::path json_path(path);
  if (json_path.has_parent_path()) std::filesystem::create_directories(json_path.parent_path());
  if (out.contains("curve")) {
    const std::string png = std::filesystem::path(path).replace_extension(".png").string();
    const std::string failure = PlotCurve(out, png);
    if (failure.empty()) {
      out["curve_png"] = png;
      std::printf("curve: %s\n", png.c_str());
    } else {
      std::printf("curve: no PNG (%s)\n", failure.c_str());
    }
  }
  std::ofstream(path) << out.dump(2) << "\n";
  std::printf("wrote %s\n", path.c_str());
}

}  // namespace choreo::bench
