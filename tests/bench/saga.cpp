// Phases saga and cluster: the five workers and the provider as processes (tests/e2e
// System), order.placed published straight to the broker (no gateway: the curve phase
// measures what a client sees). A burst gives the sustained orders/s, from the first
// publish to the last terminal event; then paced orders give submit -> terminal latency.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>

#include "choreo/amqp/error.hpp"
#include "choreo/contracts/events.hpp"
#include "choreo/testing/test_database.hpp"
#include "choreo/testing/testing.hpp"
#include "phases.hpp"

namespace choreo::bench {

namespace {

using namespace std::chrono_literals;

// Until every worker consumes from its queue with `replicas` consumers: by then each has
// declared the whole topology (the gateway's queue, which the saga drains, among it), and
// the burst is timed from ready workers, not from their start.
void WaitForConsumers(const std::string& amqp_url, int replicas) {
  amqp::Connection probe({.url = amqp_url, .connection_name = "bench-saga-probe"});
  if (!testing::WaitFor(
          [&] {
            return std::all_of(e2e::kWorkers.begin(), e2e::kWorkers.end(), [&](const std::string& w) {
              try {
                return probe.InspectQueue(w).consumer_count >= static_cast<uint32_t>(replicas);
              } catch (const amqp::ChannelClosedError&) {
                return false;  // 404: not declared yet (the channel is opened again)
              }
            });
          },
          60s, 100ms)) {
    throw std::runtime_error("saga: not every worker consumes with all its replicas");
  }
}

// The saga on a running System: a burst for the sustained rate, then paced orders at
// half of it for the latency. `processes` are the names whose peak RSS is reported.
SagaResult RunSaga(const Args& args, e2e::System& system, const std::vector<std::string>& processes) {
  SagaResult result;
  e2e::TerminalWatcher watcher(system.AmqpUrl(), "", /*replicated=*/false);
  QueueDrain gateway_queue(system.AmqpUrl(), "gateway");
  amqp::Connection connection({.url = system.AmqpUrl(), .connection_name = "bench-saga-publisher"});
  amqp::Publisher publisher(connection, amqp::PublisherOptions{.window = 256});
  long failed = 0;
  auto check = [&](const std::vector<amqp::PublishResult>& results) {
    for (const auto& r : results) failed += r.outcome != amqp::PublishOutcome::kConfirmed;
  };
  std::map<std::string, Clock::time_point> submitted;
  int counter = 0;
  auto submit = [&] {
    contracts::OrderPlaced order =
        e2e::MakeOrder("tok_ok", "DE", {{.sku = "sku-00" + std::to_string(1 + counter++ % 9), .quantity = 1}});
    contracts::Envelope envelope = contracts::MakeEnvelope(order);
    amqp::Message m = JsonMessage(contracts::Serialize(envelope), "order.placed");
    submitted[order.order_id] = Clock::now();
    publisher.Publish("orders", "order.placed", m);
    if (counter % 64 == 0) check(publisher.PollConfirms());
    return order.order_id;
  };
  auto wait_all = [&](const std::vector<std::string>& ids) {
    check(publisher.WaitForConfirms(1min));
    if (failed > 0) throw std::runtime_error("saga: " + std::to_string(failed) + " orders not confirmed by the broker");
    if (!watcher.WaitForAll(ids, 10min)) throw std::runtime_error("saga: not every order reached a terminal state");
  };

  // Warm-up: caches, connections, the SQLite files.
  std::vector<std::string> warm;
  for (int i = 0; i < 200; ++i) warm.push_back(submit());
  wait_all(warm);

  // Sustained throughput: a burst of orders, from the first submit to the last terminal.
  std::vector<std::string> burst;
  const auto start = Clock::now();
  for (int i = 0; i < args.saga_orders; ++i) {
    burst.push_back(submit());
    if (i % 256 == 0) watcher.Poll(0ms);
  }
  wait_all(burst);
  Clock::time_point last = start;
  for (const auto& id : burst) last = std::max(last, *watcher.TerminalAt(id));
  result.orders_per_s = args.saga_orders / Seconds(last - start);
  std::printf("  saga: %d orders in %.2f s = %.0f orders/s\n", args.saga_orders, Seconds(last - start),
              result.orders_per_s);

  // Let the work the burst left behind (e-mails, status changes) drain first, so the paced
  // orders are measured in a steady state rather than behind a backlog.
  Drain(system, e2e::kWorkers, watcher, 5min, "saga");

  // Latency at half that rate: paced submits, terminal events read in between.
  result.latency_rate = args.latency_rate > 0 ? args.latency_rate : std::max(1.0, result.orders_per_s / 2);
  result.latency_orders = std::max(300, static_cast<int>(result.latency_rate * args.latency_seconds));
  std::vector<std::string> paced;
  const auto paced_start = Clock::now();
  for (int i = 0; i < result.latency_orders; ++i) {
    const auto due = paced_start + std::chrono::microseconds(static_cast<int64_t>(1e6 * i / result.latency_rate));
    // One wait until the order is due (it returns early for each terminal event), not a
    // 1 ms poll loop: the driver's wake-ups are CPU the measured processes share.
    for (auto now = Clock::now(); now < due; now = Clock::now()) {
      watcher.Poll(std::chrono::ceil<std::chrono::milliseconds>(due - now));
    }
    paced.push_back(submit());
  }
  wait_all(paced);
  std::vector<double> ms;
  for (const auto& id : paced) {
    ms.push_back(Ms(*watcher.TerminalAt(id) - submitted[id]));
    result.confirmed += watcher.Outcome(id) == "CONFIRMED";
  }
  // Whether the paced rate was sustained: a median that grows from quarter to quarter
  // means a backlog built up, and the percentiles then depend on how long the window was.
  std::printf("  paced: median latency by quarter of the window:");
  for (std::size_t q = 0; q < 4; ++q) {
    std::vector<double> part(ms.begin() + static_cast<long>(ms.size() * q / 4),
                             ms.begin() + static_cast<long>(ms.size() * (q + 1) / 4));
    std::printf(" %.0f", part.empty() ? 0.0 : load::Summarize(std::move(part)).p50);
  }
  std::printf(" ms\n");
  result.latency = load::Summarize(std::move(ms));
  for (const auto& id : burst) result.confirmed += watcher.Outcome(id) == "CONFIRMED";
  result.rss = RssOf(system, processes);
  return result;
}

}  // namespace

SagaResult Saga(const Args& args) {
  testing::TestVhost vhost("bench-saga");
  e2e::System system({.amqp_url = vhost.AmqpUrl()});
  system.StartAll();
  WaitForConsumers(vhost.AmqpUrl(), 1);
  std::vector<std::string> processes = {"provider"};
  processes.insert(processes.end(), e2e::kWorkers.begin(), e2e::kWorkers.end());
  return RunSaga(args, system, processes);
}

// The cluster profile: the three-node test cluster (CHOREO_TEST_CLUSTER_*), a PostgreSQL
// database (schema) per component on CHOREO_TEST_PG_URL, two replicas of every worker.
SagaResult ClusterSaga(const Args& args) {
  testing::TestVhost vhost("bench-cluster", ClusterBroker(args));
  std::vector<std::unique_ptr<testing::TestDatabase>> stores;
  e2e::SystemOptions options{.amqp_url = vhost.AmqpUrl()};
  if (args.cluster_stores == "postgres") {
    for (const auto& w : e2e::kWorkers) {
      stores.push_back(std::make_unique<testing::TestDatabase>(testing::DbKind::kPostgres, w));
      options.env[w]["CHOREO_STORE_URL"] = stores.back()->Url();
    }
  }
  e2e::System system(options);
  system.StartAll();
  std::vector<std::string> processes = {"provider"};
  for (const auto& w : e2e::kWorkers) {
    processes.push_back(w);
    for (int r = 2; r <= args.cluster_replicas; ++r) {
      system.Start(w + "#" + std::to_string(r));
      processes.push_back(w + "#" + std::to_string(r));
    }
  }
  WaitForConsumers(vhost.AmqpUrl(), args.cluster_replicas);
  return RunSaga(args, system, processes);
}

}  // namespace choreo::bench
