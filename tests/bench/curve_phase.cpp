// Phase curve: what a user experiences. Orders go in over HTTP (POST /orders to the
// gateway, with an API key) at a fixed open-loop rate (open_loop.hpp), embedded profile
// (tests/e2e System: provider, five workers, gateway, SQLite stores); latency runs from
// each order's scheduled send time to its terminal event (order.confirmed or
// order.cancelled as TerminalWatcher sees it). Steps at fractions of the flow limit, a
// drained system before each; stops at the first saturated step, then refines between
// the last rate that met the SLO and the first that did not (curve_logic.hpp).
#include <signal.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include "choreo/contracts/envelope.hpp"
#include "choreo/testing/testing.hpp"
#include "curve_logic.hpp"
#include "open_loop.hpp"
#include "phases.hpp"

namespace choreo::bench {

namespace {

using namespace std::chrono_literals;

struct CurveRun {
  const Args& args;
  e2e::System& system;
  e2e::TerminalWatcher& watcher;
  int port;
  std::string api_key;
  std::string run_id;
  std::vector<load::MixEntry> mix;
  int steps = 0;

  CurveStep Step(double rate, double seconds) {
    CurveStep s;
    s.rate = rate;
    const int step = ++steps;
    const std::size_t n = ScheduledCount(rate, seconds);
    std::mt19937_64 rng(static_cast<uint64_t>(step));
    std::vector<std::string> bodies;
    for (std::size_t i = 0; i < n; ++i) bodies.push_back(load::OrderBody(load::PickKind(mix, rng), rng, i).dump());
    OpenLoopOptions options{.port = port, .api_key = api_key, .rate = rate,
                            .connections = SenderConnections(rate, args.curve_connections),
                            .key_prefix = "bench-" + run_id + "-" + std::to_string(step)};
    s.connections = options.connections;
    std::vector<SentOrder> sent = SendOpenLoop(options, bodies, [&] { watcher.Poll(2ms); });

    // The grace: every accepted order terminal by then, or the step is saturated.
    const auto first_due = sent.front().due;
    const auto deadline = first_due + std::chrono::duration_cast<Clock::duration>(ScheduledOffset(n, rate)) +
                          std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(args.curve_grace_seconds));
    std::vector<const SentOrder*> accepted;
    for (const SentOrder& o : sent) {
      if (o.status == 202) accepted.push_back(&o);
    }
    std::size_t done = 0;
    while (Clock::now() < deadline) {
      watcher.Poll(5ms);
      while (done < accepted.size() && watcher.TerminalAt(accepted[done]->order_id)) ++done;
      if (done == accepted.size()) break;
    }

    std::vector<double> latency, post, completions;
    for (const SentOrder& o : sent) s.max_send_lag_ms = std::max(s.max_send_lag_ms, Ms(o.sent - o.due));
    for (const SentOrder* o : accepted) {
      post.push_back(Ms(o->answered - o->due));
      const auto at = watcher.TerminalAt(o->order_id);
      if (at && *at <= deadline) {
        latency.push_back(Ms(*at - o->due));
        completions.push_back(Seconds(*at - first_due));
        (watcher.Outcome(o->order_id) == "CONFIRMED" ? s.confirmed : s.cancelled)++;
      } else {
        latency.push_back(Ms(deadline - o->due));  // not terminal: at least this long
      }
    }
    s.scheduled = n;
    s.accepted = accepted.size();
    s.post_failures = n - accepted.size();
    s.terminal = completions.size();
    s.achieved_per_s = CompletionRate(completions);
    s.latency = load::Summarize(std::move(latency));
    s.post = load::Summarize(std::move(post));
    const StepVerdict verdict = JudgeStep(rate, s.achieved_per_s, s.scheduled, s.terminal);
    s.saturated = verdict.saturated;
    s.why = verdict.why;
    for (const SentOrder& o : sent) {
      if (o.status == 202) continue;
      if (s.first_post_failure.empty()) s.first_post_failure = "HTTP " + std::to_string(o.status) + " " + o.error;
      ++s.refused[o.status];
    }
    return s;
  }
};

void Print(const CurveStep& s) {
  std::printf("  %s%.0f orders/s (%.0f %%): p50 %.1f ms, p99 %.1f ms, achieved %.0f/s, %zu/%zu terminal (%zu confirmed, "
              "%zu cancelled), %zu POST failures, POST p99 %.1f ms, max send lag %.1f ms, %d connections%s%s\n",
              s.refine ? "refine " : "", s.rate, 100 * s.fraction, s.latency.p50, s.latency.p99, s.achieved_per_s,
              s.terminal, s.scheduled, s.confirmed, s.cancelled, s.post_failures, s.post.p99, s.max_send_lag_ms,
              s.connections, s.saturated ? ": SATURATED, " : "", s.why.c_str());
  if (!s.first_post_failure.empty()) std::printf("    first POST failure: %s\n", s.first_post_failure.c_str());
  std::fflush(stdout);
}

// Load shedding shown: the gateway restarted with an in-flight bound sized by Little's
// law (the SLO rate times the SLO's p99 target: the orders in progress when the system
// runs at its SLO rate and each takes as long as the target allows) and offered
// `overload_factor` times the SLO rate (the lowest curve rate when no step met the SLO).
// Orders it accepts must still finish within 1 s at p99; the others get 429/503 at once.
OverloadResult Overload(const Args& args, e2e::System& system, CurveRun& run, const std::vector<std::string>& components,
                        const CurveResult& curve) {
  OverloadResult r;
  const double base = curve.slo_orders_per_s > 0 ? curve.slo_orders_per_s : curve.steps.front().rate;
  r.offered_per_s = args.overload_factor * base;
  r.max_in_flight = static_cast<std::size_t>(std::max(4.0, std::ceil(base * args.slo_p99_ms / 1000)));
  // One gateway at a time on the SQLite file: the shedding one replaces the curve's.
  const int port = e2e::FreePort();
  system.Kill("gateway", SIGTERM);
  system.SetEnv("gateway#2", "CHOREO_GATEWAY_PORT", std::to_string(port));
  system.SetEnv("gateway#2", "CHOREO_GATEWAY_MAX_IN_FLIGHT", std::to_string(r.max_in_flight));
  system.Start("gateway#2");
  if (!testing::WaitFor([&] { return HttpStatus(port, "/readyz") == 200; }, 60s, 50ms)) {
    throw std::runtime_error("overload: the shedding gateway did not become ready; log:\n" + system.LogTail("gateway#2"));
  }
  Drain(system, components, run.watcher, 5min, "overload");
  run.port = port;
  r.step = run.Step(r.offered_per_s, args.curve_step_seconds);
  r.shed_429 = r.step.refused.count(429) ? r.step.refused.at(429) : 0;
  r.shed_503 = r.step.refused.count(503) ? r.step.refused.at(503) : 0;
  r.other_failures = r.step.post_failures - r.shed_429 - r.shed_503;
  std::printf("  overload: %.0f orders/s offered (%.1fx the SLO rate) to a gateway with max-in-flight %zu: %zu accepted "
              "(p50 %.1f ms, p99 %.1f ms submit to terminal, %zu terminal), %zu refused 503, %zu refused 429, %zu "
              "other failures\n",
              r.offered_per_s, args.overload_factor, r.max_in_flight, r.step.accepted, r.step.latency.p50,
              r.step.latency.p99, r.step.terminal, r.shed_503, r.shed_429, r.other_failures);
  std::fflush(stdout);
  return r;
}

}  // namespace

CurveResult Curve(const Args& args, double flow_limit) {
  if (!(flow_limit > 0)) throw std::invalid_argument("curve: no flow limit");
  CurveResult result;
  result.flow_limit = flow_limit;
  testing::TestVhost vhost("bench-curve");
  e2e::SystemOptions options{.amqp_url = vhost.AmqpUrl()};
  // A port the kernel just handed out, never a fixed one: other runs share the machine.
  const int port = e2e::FreePort();
  // A key made for this run, in the gateway's environment only (never on a command line or printed).
  const std::string api_key = contracts::NewUuid();
  options.env["gateway"]["CHOREO_GATEWAY_PORT"] = std::to_string(port);
  options.env["gateway"]["CHOREO_GATEWAY_API_KEYS"] = api_key;
  e2e::System system(options);
  system.StartAll();
  system.Start("gateway");
  if (!testing::WaitFor([&] { return HttpStatus(port, "/readyz") == 200; }, 60s, 50ms)) {
    throw std::runtime_error("curve: the gateway did not become ready; log:\n" + system.LogTail("gateway"));
  }
  e2e::TerminalWatcher watcher(vhost.AmqpUrl());
  std::vector<std::string> components = e2e::kWorkers;
  components.push_back("gateway");
  CurveRun run{args, system, watcher, port, api_key, contracts::NewUuid().substr(0, 8), load::ParseMix(args.curve_mix)};

  const std::vector<double> fractions = ParseFractions(args.curve_fractions);
  // Warm-up (caches, connections, SQLite files), not recorded.
  run.Step(fractions.front() * flow_limit, std::min(2.0, args.curve_step_seconds));
  std::vector<CurvePoint> points;
  auto measure = [&](double fraction, bool refine) {
    Drain(system, components, watcher, 5min, "curve");
    CurveStep s = run.Step(fraction * flow_limit, args.curve_step_seconds);
    s.fraction = fraction;
    s.refine = refine;
    Print(s);
    points.push_back({.rate = s.rate, .p50_ms = s.latency.p50, .p99_ms = s.latency.p99, .saturated = s.saturated});
    result.steps.push_back(std::move(s));
    return result.steps.back().saturated;
  };
  for (double f : fractions) {
    if (measure(f, false)) break;
  }
  for (int i = 0; i < args.curve_refine; ++i) {
    const std::optional<double> rate = RefineRate(points, args.slo_p99_ms);
    if (!rate) break;
    measure(*rate / flow_limit, true);
  }
  if (const auto slo = SloPoint(points, args.slo_p99_ms)) {
    result.slo_orders_per_s = slo->rate;
    result.slo_p99_ms = slo->p99_ms;
  }
  std::vector<std::string> processes = {"provider", "gateway"};
  processes.insert(processes.end(), e2e::kWorkers.begin(), e2e::kWorkers.end());
  result.rss = RssOf(system, processes);
  if (args.overload_factor > 0) result.overload = Overload(args, system, run, components, result);
  return result;
}

}  // namespace choreo::bench
