// choreo-bench: measures choreo against the machine's own limits in one run, everything
// durable (persistent messages, quorum queues, publisher confirms, SQLite
// synchronous=FULL). infra/bench starts a private broker and runs it; by hand it needs the
// endpoints infra/test exports (CHOREO_TEST_AMQP_URL, CHOREO_TEST_MGMT_URL). Each phase
// works in a fresh vhost of that broker. `choreo-bench --help` lists the flags.
//
// Phases (one file each; docs/performance.md says how to read them):
//   raw      raw_hop.cpp      bare consumer/publisher: the broker's limit for one hop
//   worker   worker_hop.cpp   one runtime Worker: what the runtime costs against raw
//   saga     saga.cpp         the five workers as processes, order.placed straight to the
//                             broker: sustained orders/s, then latency at half of it
//   gateway  gateway_wrk.cpp  wrk against the gateway, then against a bare Poco server
//   cluster  saga.cpp         the saga in the cluster profile (three nodes, PostgreSQL,
//                             two replicas of every worker), after the flow limit of
//                             those three nodes (flow_phase.cpp)
//   flow     flow_phase.cpp   the limit of the order flow: forwarders instead of workers
//   curve    curve_phase.cpp  open-loop POST /orders through the gateway at fractions of
//                             the flow limit: p50/p99 to the terminal event, throughput at SLO
// Peak RSS (VmHWM) of every system process is read before it stops.
#include <csignal>
#include <cstdio>
#include <filesystem>

#include "args.hpp"
#include "choreo/log/log.hpp"
#include "phases.hpp"
#include "report.hpp"

namespace choreo::bench {
namespace {

int Run(const Args& args) {
  std::filesystem::create_directories(args.work_dir);
  json out = StartReport();
  auto selected = [&](const char* phase) { return args.phases.count(phase) > 0; };

  if (selected("raw")) {
    std::printf("raw broker hop (%d messages)...\n", args.hop_messages);
    const double hops = RawHop(args);
    RecordRaw(out, hops);
    std::printf("  %.0f hops/s\n", hops);
  }
  if (selected("worker")) {
    std::printf("worker hop (%d messages)...\n", args.hop_messages);
    const WorkerHopResult r = WorkerHop(args);
    RecordWorker(out, r);
    std::printf("  %.0f hops/s\n", r.hops_per_s);
  }
  double flow_limit = args.flow_limit;
  // The curve's steps are fractions of the flow limit: measured unless given.
  if (selected("flow") || (selected("curve") && flow_limit <= 0)) {
    std::printf("flow limit: forwarders instead of workers (%d orders)...\n", args.flow_orders);
    const FlowResult r = FlowLimit(args);
    RecordFlow(out, r);
    if (flow_limit <= 0) flow_limit = r.orders_per_s;
  }
  if (selected("saga")) {
    std::printf("saga (%d orders, then %.0f s paced)...\n", args.saga_orders, args.latency_seconds);
    RecordSaga(out, Saga(args));
  }
  if (selected("curve")) {
    std::printf("curve through the gateway (open loop, %.0f s steps at %s of %.0f orders/s)...\n",
                args.curve_step_seconds, args.curve_fractions.c_str(), flow_limit);
    RecordCurve(out, Curve(args, flow_limit), args.slo_p99_ms);
  }
  if (selected("cluster")) {
    const std::string setup = args.cluster_broker + " broker, " + args.cluster_stores + " stores, " +
                              std::to_string(args.cluster_replicas) + " replicas";
    std::printf("cluster flow limit: forwarders on the %s broker (%d orders)...\n", args.cluster_broker.c_str(),
                args.flow_orders);
    RecordClusterFlow(out, ClusterFlowLimit(args));
    std::printf("cluster saga (%s; %d orders, then %.0f s paced)...\n", setup.c_str(), args.saga_orders,
                args.latency_seconds);
    RecordCluster(out, ClusterSaga(args), setup);
  }
  if (selected("gateway")) {
    std::printf("gateway POST /orders vs bare Poco (wrk -t2 -c32 -d%ds)...\n", args.wrk_seconds);
    RecordGateway(out, Gateway(args));
  }
  FinishReport(out);
  PrintSummary(out);
  PrintCurve(out);
  WriteReport(out, args.out);
  return 0;
}

}  // namespace
}  // namespace choreo::bench

int main(int argc, char** argv) {
  try {
    // A gateway that closes a connection mid-request must not end the run.
    std::signal(SIGPIPE, SIG_IGN);
    choreo::log::SetLevel(choreo::log::Level::kWarn);
    return choreo::bench::Run(choreo::bench::Parse(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "choreo-bench: %s\n", e.what());
    return 1;
  }
}
