// choreo-bench: measures choreo against the machine's own limits in one run, everything
// durable (persistent messages, quorum queues, publisher confirms, SQLite
// synchronous=FULL). infra/bench starts a private broker and runs it; by hand it needs the
// endpoints infra/test exports (CHOREO_TEST_AMQP_URL, CHOREO_TEST_MGMT_URL). Each phase
// works in a fresh vhost of that broker.
//
//   choreo-bench [--out var/bench/latest.json] [--phases raw,worker,saga,gateway]
//                [--hop-messages 20000] [--saga-orders 6000] [--latency-seconds 10]
//                [--wrk-seconds 10] [--worker-batch 64] [--latency-rate R] [--work-dir DIR]
//
// Phases:
//   raw      bare consumer/publisher: consume from A, publish to B (pipelined confirms),
//            ack A with `multiple` up to the last confirmed publish; prefetch 256
//   worker   a runtime Worker (SQLite store) whose handler publishes one event per
//            message: consume, inbox, handler, outbox, commit, relay publish, ack
//   saga     provider + the 5 workers as processes; order.placed injected: sustained
//            orders/s to a terminal event, then submit -> terminal latency at 50% of it
//   gateway  `wrk -t2 -c32` POST /orders against the gateway process, then against a bare
//            Poco HTTPServer (poco-bare-bench) with the same settings
//   cluster  the saga phase in the cluster profile: a three-node cluster (quorum queues with
//            three members), PostgreSQL stores, two replicas of every worker; its sustained
//            rate as a ratio to the embedded saga's of the same run
// Peak RSS (VmHWM) of every system process is read before it stops.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "choreo/amqp/amqp.hpp"
#include "choreo/contracts/events.hpp"
#include "choreo/contracts/time.hpp"
#include "choreo/log/log.hpp"
#include "choreo/outbox/outbox.hpp"
#include "choreo/store/store.hpp"
#include "choreo/testing/test_database.hpp"
#include "choreo/testing/testing.hpp"
#include "choreo/worker/worker.hpp"
#include "system.hpp"

namespace choreo::bench {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;
using namespace std::chrono_literals;

struct Args {
  std::string out;
  std::set<std::string> phases = {"raw", "worker", "saga", "gateway", "cluster"};
  int hop_messages = 20000;
  int saga_orders = 6000;
  double latency_seconds = 10;
  int wrk_seconds = 10;
  std::size_t worker_batch = worker::WorkerOptions{}.batch_size;
  double latency_rate = 0;  // orders/s of the paced saga phase; 0 = half the sustained rate
  std::string work_dir;
  // The cluster phase's parts, to tell which one costs what (the capacity model):
  // broker "cluster" or "single" (the single test node), stores "postgres" or "sqlite".
  std::string cluster_broker = "cluster";
  std::string cluster_stores = "postgres";
  int cluster_replicas = 2;
};

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << "usage: choreo-bench [--out FILE] [--phases raw,worker,saga,gateway,cluster] [--hop-messages N]\n"
                   "                    [--saga-orders N] [--latency-seconds S] [--wrk-seconds S] [--worker-batch N]\n"
                   "                    [--latency-rate ORDERS_PER_S] [--work-dir DIR]\n"
                   "                    [--cluster-broker cluster|single] [--cluster-stores postgres|sqlite]\n"
                   "                    [--cluster-replicas N]\n";
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
    else throw std::invalid_argument("unknown flag " + flag);
  }
  if (a.cluster_broker != "cluster" && a.cluster_broker != "single") throw std::invalid_argument("--cluster-broker is cluster or single");
  if (a.cluster_stores != "postgres" && a.cluster_stores != "sqlite") throw std::invalid_argument("--cluster-stores is postgres or sqlite");
  if (a.cluster_replicas < 1 || a.cluster_replicas > 8) throw std::invalid_argument("--cluster-replicas is 1..8");
  if (a.work_dir.empty()) {
    a.work_dir = (std::filesystem::temp_directory_path() / testing::UniqueName("choreo-bench")).string();
  }
  return a;
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::string BinDir() { return std::filesystem::read_symlink("/proc/self/exe").parent_path().string(); }

// Peak resident set (VmHWM) of a live process, in MB.
double PeakRssMb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

pid_t Spawn(const std::vector<std::string>& command, const std::map<std::string, std::string>& env,
            const std::string& log_path) {
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    FILE* log = std::fopen(log_path.c_str(), "a");
    if (log != nullptr) {
      ::dup2(::fileno(log), 1);
      ::dup2(::fileno(log), 2);
    }
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    for (const auto& s : command) argv.push_back(const_cast<char*>(s.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

void Terminate(pid_t pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGTERM);
  int status = 0;
  if (!testing::WaitFor([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, 20s, 10ms)) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
}

int HttpGet(int port, const std::string& path) {
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
    session.setTimeout(Poco::Timespan(2, 0));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path, Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::string body;
    Poco::StreamCopier::copyToString(session.receiveResponse(response), body);
    return response.getStatus();
  } catch (...) {
    return 0;
  }
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<std::size_t>(p * static_cast<double>(values.size())))];
}

// An inventory.committed envelope (the golden example, with fresh ids): what the worker
// hop consumes, and the payload size of the raw hop.
std::string CommittedBody() {
  static const json example = [] {
    std::ifstream in(std::string(CHOREO_BENCH_DIR) + "/../../contracts/examples/inventory.committed.v1.json");
    return json::parse(in);
  }();
  json body = example;
  const std::string order_id = contracts::NewUuid();
  body["message_id"] = contracts::NewUuid();
  body["correlation_id"] = order_id;
  body["occurred_at"] = contracts::NowRfc3339();
  body["payload"]["order_id"] = order_id;
  return body.dump();
}

amqp::Message JsonMessage(std::string body, const std::string& type) {
  amqp::Message m;
  m.message_id = json::parse(body).at("message_id").get<std::string>();
  m.body = std::move(body);
  m.content_type = "application/json";
  m.type = type;
  return m;
}

// Publishes `count` messages made by `make(i)`, pipelined, and checks every confirm.
template <class Make>
void Fill(amqp::Connection& connection, const std::string& exchange, const std::string& routing_key, int count,
          Make make) {
  amqp::Publisher publisher(connection, amqp::PublisherOptions{.window = 256});
  long failed = 0;
  auto check = [&](const std::vector<amqp::PublishResult>& results) {
    for (const auto& r : results) failed += r.outcome != amqp::PublishOutcome::kConfirmed;
  };
  for (int i = 0; i < count; ++i) {
    publisher.Publish(exchange, routing_key, make(i));
    if (i % 512 == 0) check(publisher.PollConfirms());
  }
  check(publisher.WaitForConfirms(5min));
  if (failed > 0) throw std::runtime_error("prefill: " + std::to_string(failed) + " publishes not confirmed");
}

// ------------------------------------------------------------------ 1. raw broker hop
double RawHop(const Args& args) {
  testing::TestVhost vhost("bench-raw");
  amqp::Connection admin({.url = vhost.AmqpUrl(), .connection_name = "bench-raw-admin"});
  admin.DeclareQueue(amqp::QueueSpec::Quorum("hop-a"));
  admin.DeclareQueue(amqp::QueueSpec::Quorum("hop-b"));
  Fill(admin, "", "hop-a", args.hop_messages,
       [](int) { return JsonMessage(CommittedBody(), "inventory.committed"); });

  amqp::Connection in({.url = vhost.AmqpUrl(), .connection_name = "bench-raw-in"});
  amqp::Connection out({.url = vhost.AmqpUrl(), .connection_name = "bench-raw-out"});
  amqp::Consumer consumer(in, amqp::ConsumerOptions{.queue = "hop-a", .prefetch = 256});
  amqp::Publisher publisher(out, amqp::PublisherOptions{.window = 256});
  struct InFlight {
    uint64_t seq;
    amqp::Delivery delivery;
  };
  std::deque<InFlight> in_flight;  // publish order
  std::set<uint64_t> confirmed;
  long moved = 0, failed = 0;
  // Acks, with one multiple-ack, every delivery whose publish (and all before it) is confirmed.
  auto settle = [&](const std::vector<amqp::PublishResult>& results) {
    for (const auto& r : results) {
      if (r.outcome == amqp::PublishOutcome::kConfirmed) {
        confirmed.insert(r.seq);
      } else {
        ++failed;
        confirmed.insert(r.seq);
      }
    }
    std::optional<amqp::Delivery> last;
    while (!in_flight.empty() && confirmed.erase(in_flight.front().seq) == 1) {
      last = std::move(in_flight.front().delivery);
      in_flight.pop_front();
      ++moved;
    }
    if (last) consumer.Ack(*last, /*multiple=*/true);
  };
  const auto start = Clock::now();
  while (moved < args.hop_messages) {
    std::optional<amqp::Delivery> d = consumer.Next(in_flight.empty() ? 10s : 0ms);
    if (d) {
      amqp::Message m = std::move(d->message);
      m.headers = {};
      const uint64_t seq = publisher.Publish("", "hop-b", m);
      d->message = {};
      in_flight.push_back({seq, std::move(*d)});
      if (in_flight.size() % 32 == 0) settle(publisher.PollConfirms());
    } else if (in_flight.empty()) {
      throw std::runtime_error("raw hop: queue ran dry after " + std::to_string(moved) + " messages");
    } else {
      settle(publisher.WaitForConfirms(1ms));
    }
  }
  const double seconds = Seconds(Clock::now() - start);
  if (failed > 0) throw std::runtime_error("raw hop: " + std::to_string(failed) + " publishes not confirmed");
  return args.hop_messages / seconds;
}

// ------------------------------------------------------------------ 2. one worker hop
double WorkerHop(const Args& args) {
  testing::TestVhost vhost("bench-worker");
  const std::string store_url = "sqlite:" + args.work_dir + "/worker-hop.db";
  auto make_worker = [&] {
    worker::WorkerOptions options;
    options.name = "shipping";  // any worker of the topology; the handler is the bench's own
    options.amqp_url = vhost.AmqpUrl();
    options.store_url = store_url;
    options.batch_size = args.worker_batch;
    auto w = std::make_unique<worker::Worker>(options);
    w->On<contracts::InventoryCommitted>([](worker::Context& ctx, const contracts::InventoryCommitted& e) {
      contracts::ShipmentScheduled out;
      out.order_id = e.order_id;
      out.reservation_id = e.reservation_id;
      out.shipment_id = "shp-" + e.order_id;
      out.carrier = "bench";
      out.scheduled_at = contracts::NowRfc3339();
      ctx.Publish(out);
    });
    return w;
  };
  amqp::Connection admin({.url = vhost.AmqpUrl(), .connection_name = "bench-worker-admin"});
  {
    // A first run declares the worker's topology; then the queue is filled while no
    // worker consumes, so the measured run starts with a full queue like the raw hop.
    auto w = make_worker();
    std::thread t([&] { w->Run(); });
    const bool ready = w->WaitUntilReady(60s);
    w->Stop();
    t.join();
    if (!ready) throw std::runtime_error("worker hop: the worker did not start");
  }
  admin.DeclareQueue(amqp::QueueSpec::Quorum("hop-sink"));
  admin.Bind({.queue = "hop-sink", .exchange = "shipping", .routing_key = "shipment.scheduled"});
  Fill(admin, "inventory", "inventory.committed", args.hop_messages,
       [](int) { return JsonMessage(CommittedBody(), "inventory.committed"); });

  auto w = make_worker();
  const auto start = Clock::now();
  std::thread t([&] { w->Run(); });
  const bool done = testing::WaitFor(
      [&] { return admin.InspectQueue("hop-sink").message_count >= static_cast<uint32_t>(args.hop_messages); }, 10min,
      5ms);
  const double seconds = Seconds(Clock::now() - start);
  const worker::WorkerStats stats = w->Stats();
  w->Stop();
  t.join();
  if (!done) throw std::runtime_error("worker hop: not every message arrived in the sink");
  std::printf("  worker hop: %llu handled in %llu transactions (%.1f messages per commit)\n",
              static_cast<unsigned long long>(stats.handled), static_cast<unsigned long long>(stats.transactions),
              stats.transactions ? static_cast<double>(stats.handled) / static_cast<double>(stats.transactions) : 0.0);
  return args.hop_messages / seconds;
}

// ------------------------------------------------------------------ 3. the saga
struct SagaResult {
  double orders_per_s = 0;
  double latency_rate = 0;
  int latency_orders = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0;
  int confirmed = 0;
  json rss = json::object();
};

// The saga measured on a running System whose broker (vhost) is `amqp_url`: a burst for
// the sustained rate, then paced orders at half of it for the latency. `processes` are
// the System's process names whose peak RSS is reported.
SagaResult RunSaga(const Args& args, e2e::System& system, const std::string& amqp_url,
                   const std::vector<std::string>& processes) {
  SagaResult result;
  e2e::TerminalWatcher watcher(amqp_url);
  amqp::Connection connection({.url = amqp_url, .connection_name = "bench-saga-publisher"});
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
  // orders are measured in a steady state rather than behind a backlog: every work queue
  // empty and every outbox published (a relay's backlog refills the queues later).
  amqp::Connection inspect({.url = amqp_url, .connection_name = "bench-saga-inspect"});
  std::vector<std::unique_ptr<store::Store>> outboxes;
  for (const auto& w : e2e::kWorkers) outboxes.push_back(std::make_unique<store::Store>(system.StoreUrl(w)));
  const bool drained = testing::WaitFor(
      [&] {
        watcher.Poll(0ms);
        return std::all_of(e2e::kWorkers.begin(), e2e::kWorkers.end(),
                           [&](const std::string& queue) { return inspect.InspectQueue(queue).message_count == 0; }) &&
               std::all_of(outboxes.begin(), outboxes.end(),
                           [](const auto& store) { return outbox::Status(*store).pending == 0; });
      },
      5min, 200ms);
  if (!drained) throw std::runtime_error("saga: the burst's backlog did not drain within 5 minutes");
  outboxes.clear();
  std::this_thread::sleep_for(1s);  // deliveries in hand (not counted as ready) finish

  // Latency at half that rate: paced submits, terminal events read in between.
  result.latency_rate = args.latency_rate > 0 ? args.latency_rate : std::max(1.0, result.orders_per_s / 2);
  result.latency_orders = std::max(300, static_cast<int>(result.latency_rate * args.latency_seconds));
  std::vector<std::string> paced;
  const auto paced_start = Clock::now();
  for (int i = 0; i < result.latency_orders; ++i) {
    const auto due = paced_start + std::chrono::microseconds(static_cast<int64_t>(1e6 * i / result.latency_rate));
    while (Clock::now() < due) watcher.Poll(1ms);
    paced.push_back(submit());
  }
  wait_all(paced);
  std::vector<double> ms;
  for (const auto& id : paced) {
    ms.push_back(std::chrono::duration<double, std::milli>(*watcher.TerminalAt(id) - submitted[id]).count());
    result.confirmed += watcher.Outcome(id) == "CONFIRMED";
  }
  result.p50_ms = Percentile(ms, 0.50);
  result.p90_ms = Percentile(ms, 0.90);
  result.p99_ms = Percentile(ms, 0.99);
  result.max_ms = Percentile(ms, 1.0);
  for (const auto& id : burst) result.confirmed += watcher.Outcome(id) == "CONFIRMED";
  for (const std::string& name : processes) {
    const std::string component = e2e::ComponentOf(name);
    const std::string replica = name.size() > component.size() ? name.substr(component.size()) : "";
    result.rss[(component == "provider" ? component : component + "-worker") + replica] = PeakRssMb(system.Pid(name));
  }
  return result;
}

// The embedded profile: one process per worker, SQLite stores, the single test node.
SagaResult Saga(const Args& args) {
  testing::TestVhost vhost("bench-saga");
  e2e::System system({.amqp_url = vhost.AmqpUrl()});
  system.StartAll();
  std::vector<std::string> processes = {"provider"};
  processes.insert(processes.end(), e2e::kWorkers.begin(), e2e::kWorkers.end());
  return RunSaga(args, system, vhost.AmqpUrl(), processes);
}

// The cluster profile: the three-node test cluster (CHOREO_TEST_CLUSTER_*), a PostgreSQL
// database (schema) per component on CHOREO_TEST_PG_URL, two replicas of every worker.
SagaResult ClusterSaga(const Args& args) {
  std::optional<testing::BrokerEndpoints> cluster =
      args.cluster_broker == "single" ? std::optional(testing::TestNode()) : testing::TestCluster();
  if (!cluster) throw std::runtime_error("the cluster phase needs CHOREO_TEST_CLUSTER_AMQP_URLS (infra/bench starts one)");
  testing::TestVhost vhost("bench-cluster", *cluster);
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
  amqp::Connection probe({.url = vhost.AmqpUrl(), .connection_name = "bench-cluster-probe"});
  if (!testing::WaitFor(
          [&] {
            return std::all_of(e2e::kWorkers.begin(), e2e::kWorkers.end(),
                               [&](const std::string& w) {
                                 return probe.InspectQueue(w).consumer_count >= static_cast<uint32_t>(args.cluster_replicas);
                               });
          },
          60s, 100ms)) {
    throw std::runtime_error("cluster: not every worker consumes with all its replicas");
  }
  return RunSaga(args, system, vhost.AmqpUrl(), processes);
}

// ------------------------------------------------------------------ 4. gateway vs bare Poco
struct WrkResult {
  double requests_per_s = 0;  // 2xx only
  double p50_ms = 0, p99_ms = 0;
  long requests = 0, non_2xx = 0, errors = 0;
};

double ToMs(double value, const std::string& unit) {
  if (unit == "us") return value / 1000;
  if (unit == "ms") return value;
  if (unit == "s") return value * 1000;
  if (unit == "m") return value * 60000;
  return value;
}

WrkResult Wrk(int port, int seconds, bool warm_up) {
  if (warm_up) Wrk(port, 2, false);
  const std::string command = "wrk -t2 -c32 -d" + std::to_string(seconds) + "s --latency -s " +
                              std::string(CHOREO_BENCH_DIR) + "/post_orders.lua http://127.0.0.1:" +
                              std::to_string(port) + "/orders 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run wrk");
  std::string output;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) output += buffer.data();
  if (::pclose(pipe) != 0) throw std::runtime_error("wrk failed:\n" + output);

  WrkResult r;
  std::smatch m;
  double duration = seconds;
  if (std::regex_search(output, m, std::regex(R"((\d+) requests in ([\d.]+)(\w+),)"))) {
    r.requests = std::stol(m[1]);
    duration = ToMs(std::stod(m[2]), m[3]) / 1000;
  }
  if (std::regex_search(output, m, std::regex(R"(Non-2xx or 3xx responses: (\d+))"))) r.non_2xx = std::stol(m[1]);
  if (std::regex_search(output, m, std::regex(R"(Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+))"))) {
    r.errors = std::stol(m[1]) + std::stol(m[2]) + std::stol(m[3]) + std::stol(m[4]);
  }
  if (std::regex_search(output, m, std::regex(R"(50%\s+([\d.]+)(\w+))"))) r.p50_ms = ToMs(std::stod(m[1]), m[2]);
  if (std::regex_search(output, m, std::regex(R"(99%\s+([\d.]+)(\w+))"))) r.p99_ms = ToMs(std::stod(m[1]), m[2]);
  r.requests_per_s = static_cast<double>(r.requests - r.non_2xx) / duration;
  return r;
}

struct GatewayResult {
  WrkResult gateway, bare;
  double gateway_rss_mb = 0;
  long orders_in_store = 0;
};

GatewayResult Gateway(const Args& args) {
  GatewayResult result;
  testing::TestVhost vhost("bench-gateway");
  {
    // The relay publishes order.placed with `mandatory`: give it a queue to land in.
    amqp::Connection admin({.url = vhost.AmqpUrl(), .connection_name = "bench-gateway-admin"});
    admin.DeclareExchange({.name = "orders", .type = "topic"});
    admin.DeclareQueue(amqp::QueueSpec::Quorum("placed-sink"));
    admin.Bind({.queue = "placed-sink", .exchange = "orders", .routing_key = "order.placed"});
  }
  const int port = e2e::FreePort();
  const std::string log = args.work_dir + "/gateway.log";
  pid_t gateway = Spawn({BinDir() + "/gateway"},
                        {{"CHOREO_AMQP_URL", vhost.AmqpUrl()},
                         {"CHOREO_STORE_URL", "sqlite:" + args.work_dir + "/gateway.db"},
                         {"CHOREO_GATEWAY_PORT", std::to_string(port)}},
                        log);
  try {
    if (!testing::WaitFor([&] { return HttpGet(port, "/readyz") == 200; }, 60s, 50ms)) {
      throw std::runtime_error("gateway did not become ready; see " + log);
    }
    result.gateway = Wrk(port, args.wrk_seconds, true);
    result.gateway_rss_mb = PeakRssMb(gateway);
  } catch (...) {
    Terminate(gateway);
    throw;
  }
  Terminate(gateway);

  const int bare_port = e2e::FreePort();
  pid_t bare = Spawn({BinDir() + "/poco-bare-bench", "--port", std::to_string(bare_port)}, {},
                     args.work_dir + "/poco-bare.log");
  try {
    if (!testing::WaitFor([&] { return HttpGet(bare_port, "/") == 202; }, 20s, 20ms)) {
      throw std::runtime_error("poco-bare-bench did not start");
    }
    result.bare = Wrk(bare_port, args.wrk_seconds, true);
  } catch (...) {
    Terminate(bare);
    throw;
  }
  Terminate(bare);
  return result;
}

std::string Fixed(double v, int digits = 0) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, v);
  return buffer;
}

int Run(const Args& args) {
  std::filesystem::create_directories(args.work_dir);
  json out = json::object();
  out["started_at"] = contracts::NowRfc3339();
  out["cpus"] = std::thread::hardware_concurrency();
  out["loadavg_before"] = LoadAverage();
  out["durability"] = "persistent messages, quorum queues, publisher confirms, SQLite WAL synchronous=FULL";
  std::vector<std::array<std::string, 4>> rows;  // measure, value, ratio, target

  if (args.phases.count("raw")) {
    std::printf("raw broker hop (%d messages)...\n", args.hop_messages);
    out["raw_hop_per_s"] = RawHop(args);
    std::printf("  %.0f hops/s\n", out["raw_hop_per_s"].get<double>());
  }
  if (args.phases.count("worker")) {
    std::printf("worker hop (%d messages)...\n", args.hop_messages);
    out["worker_hop_per_s"] = WorkerHop(args);
    out["worker_batch_size"] = args.worker_batch;
    std::printf("  %.0f hops/s\n", out["worker_hop_per_s"].get<double>());
  }
  if (args.phases.count("saga")) {
    std::printf("saga (%d orders, then %.0f s paced)...\n", args.saga_orders, args.latency_seconds);
    SagaResult saga = Saga(args);
    out["saga_orders_per_s"] = saga.orders_per_s;
    out["saga_latency_rate_per_s"] = saga.latency_rate;
    out["saga_latency_orders"] = saga.latency_orders;
    out["saga_p50_ms"] = saga.p50_ms;
    out["saga_p90_ms"] = saga.p90_ms;
    out["saga_p99_ms"] = saga.p99_ms;
    out["saga_max_ms"] = saga.max_ms;
    out["saga_confirmed"] = saga.confirmed;
    for (auto& [name, mb] : saga.rss.items()) out["rss_mb"][name] = mb;
  }
  if (args.phases.count("cluster")) {
    std::printf("cluster saga (%s broker, %s stores, %d replicas; %d orders, then %.0f s paced)...\n",
                args.cluster_broker.c_str(), args.cluster_stores.c_str(), args.cluster_replicas, args.saga_orders,
                args.latency_seconds);
    out["cluster_setup"] = args.cluster_broker + " broker, " + args.cluster_stores + " stores, " +
                           std::to_string(args.cluster_replicas) + " replicas";
    SagaResult saga = ClusterSaga(args);
    out["cluster_saga_orders_per_s"] = saga.orders_per_s;
    out["cluster_saga_latency_rate_per_s"] = saga.latency_rate;
    out["cluster_saga_p50_ms"] = saga.p50_ms;
    out["cluster_saga_p99_ms"] = saga.p99_ms;
    out["cluster_saga_max_ms"] = saga.max_ms;
    for (auto& [name, mb] : saga.rss.items()) out["rss_mb"]["cluster " + name] = mb;
  }
  if (args.phases.count("gateway")) {
    std::printf("gateway POST /orders vs bare Poco (wrk -t2 -c32 -d%ds)...\n", args.wrk_seconds);
    GatewayResult gw = Gateway(args);
    out["gateway_accepted_per_s"] = gw.gateway.requests_per_s;
    out["gateway_p50_ms"] = gw.gateway.p50_ms;
    out["gateway_p99_ms"] = gw.gateway.p99_ms;
    out["gateway_non_2xx"] = gw.gateway.non_2xx;
    out["gateway_socket_errors"] = gw.gateway.errors;
    out["poco_bare_per_s"] = gw.bare.requests_per_s;
    out["poco_bare_p50_ms"] = gw.bare.p50_ms;
    out["poco_bare_p99_ms"] = gw.bare.p99_ms;
    out["rss_mb"]["gateway"] = gw.gateway_rss_mb;
  }
  out["loadavg_after"] = LoadAverage();

  double max_rss = 0;
  if (out.contains("rss_mb")) {
    for (auto& [name, mb] : out["rss_mb"].items()) max_rss = std::max(max_rss, mb.get<double>());
    out["max_rss_mb"] = max_rss;
  }
  auto num = [&](const char* key) { return out.contains(key) ? out[key].get<double>() : 0.0; };
  if (out.contains("raw_hop_per_s") && out.contains("worker_hop_per_s")) {
    out["worker_hop_ratio"] = num("worker_hop_per_s") / num("raw_hop_per_s");
  }
  if (out.contains("cluster_saga_orders_per_s") && num("saga_orders_per_s") > 0) {
    out["cluster_saga_ratio"] = num("cluster_saga_orders_per_s") / num("saga_orders_per_s");
  }
  if (out.contains("gateway_accepted_per_s") && num("poco_bare_per_s") > 0) {
    out["gateway_ratio"] = num("gateway_accepted_per_s") / num("poco_bare_per_s");
  }

  auto pct = [&](const char* key) { return out.contains(key) ? Fixed(100 * num(key)) + " %" : std::string("-"); };
  auto val = [&](const char* key, int digits = 0) { return out.contains(key) ? Fixed(num(key), digits) : std::string("-"); };
  rows.push_back({"raw broker hop (hops/s)", val("raw_hop_per_s"), "100 %", ""});
  rows.push_back({"worker hop (hops/s)", val("worker_hop_per_s"), pct("worker_hop_ratio"), ">= 60 % of raw"});
  rows.push_back({"saga sustained (orders/s)", val("saga_orders_per_s"), "", ">= 1000"});
  rows.push_back({"saga p50 at " + val("saga_latency_rate_per_s") + "/s (ms)", val("saga_p50_ms", 1), "", ""});
  rows.push_back({"saga p99 at " + val("saga_latency_rate_per_s") + "/s (ms)", val("saga_p99_ms", 1), "",
                  "< 250 at 500/s"});
  rows.push_back({"cluster saga sustained (orders/s)", val("cluster_saga_orders_per_s"), pct("cluster_saga_ratio"),
                  ">= 50 % of embedded saga"});
  rows.push_back({"cluster saga p50 at " + val("cluster_saga_latency_rate_per_s") + "/s (ms)", val("cluster_saga_p50_ms", 1),
                  "", ""});
  rows.push_back({"cluster saga p99 at " + val("cluster_saga_latency_rate_per_s") + "/s (ms)", val("cluster_saga_p99_ms", 1),
                  "", "< 500 at half its rate"});
  rows.push_back({"bare Poco handler (req/s)", val("poco_bare_per_s"), "100 %", ""});
  rows.push_back({"gateway POST /orders accepted/s", val("gateway_accepted_per_s"), pct("gateway_ratio"),
                  ">= 40 % of bare"});
  rows.push_back({"gateway p99 (ms)", val("gateway_p99_ms", 2), "", "< 10"});
  rows.push_back({"bare Poco p99 (ms)", val("poco_bare_p99_ms", 2), "", ""});
  if (out.contains("rss_mb")) {
    for (auto& [name, mb] : out["rss_mb"].items()) {
      rows.push_back({"peak RSS " + name + " (MB)", Fixed(mb.get<double>(), 1), "", "< 30"});
    }
  }
  std::printf("\n| measure | value | ratio | target |\n|---|---:|---:|---|\n");
  for (const auto& r : rows) std::printf("| %s | %s | %s | %s |\n", r[0].c_str(), r[1].c_str(), r[2].c_str(), r[3].c_str());
  std::printf("\nload average before: %s, after: %s (%u CPUs)\n", out["loadavg_before"].get<std::string>().c_str(),
              out["loadavg_after"].get<std::string>().c_str(), std::thread::hardware_concurrency());

  if (!args.out.empty()) {
    std::filesystem::create_directories(std::filesystem::path(args.out).parent_path());
    std::ofstream(args.out) << out.dump(2) << "\n";
    std::printf("wrote %s\n", args.out.c_str());
  }
  return 0;
}

}  // namespace
}  // namespace choreo::bench

int main(int argc, char** argv) {
  try {
    choreo::log::SetLevel(choreo::log::Level::kWarn);
    return choreo::bench::Run(choreo::bench::Parse(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "choreo-bench: %s\n", e.what());
    return 1;
  }
}
