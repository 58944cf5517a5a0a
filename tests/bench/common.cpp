#include "common.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "choreo/contracts/envelope.hpp"
#include "choreo/contracts/time.hpp"
#include "choreo/outbox/outbox.hpp"
#include "choreo/store/store.hpp"
#include "choreo/testing/testing.hpp"

namespace choreo::bench {

using namespace std::chrono_literals;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }
double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

std::string BinDir() { return std::filesystem::read_symlink("/proc/self/exe").parent_path().string(); }

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

int HttpStatus(int port, const std::string& path) {
  try {
    return e2e::HttpGet(port, path, 2s).status;
  } catch (...) {
    return 0;
  }
}

const json& GoldenExample(const std::string& type) {
  static std::map<std::string, json> examples;  // read once per type, before threads start
  auto it = examples.find(type);
  if (it != examples.end()) return it->second;
  std::ifstream in(std::string(CHOREO_BENCH_DIR) + "/../../contracts/examples/" + type + ".v1.json");
  if (!in) throw std::runtime_error("no golden example for " + type);
  return examples.emplace(type, json::parse(in)).first->second;
}

std::string CommittedBody() {
  json body = GoldenExample("inventory.committed");
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

void Drain(const e2e::System& system, const std::vector<std::string>& components, e2e::TerminalWatcher& watcher,
           std::chrono::seconds timeout, const std::string& what) {
  amqp::Connection inspect({.url = system.AmqpUrl(), .connection_name = "bench-drain"});
  std::vector<std::unique_ptr<store::Store>> outboxes;
  for (const auto& c : components) outboxes.push_back(std::make_unique<store::Store>(system.StoreUrl(c)));
  const bool drained = testing::WaitFor(
      [&] {
        watcher.Poll(std::chrono::milliseconds(0));
        return std::all_of(components.begin(), components.end(),
                           [&](const std::string& queue) { return inspect.InspectQueue(queue).message_count == 0; }) &&
               std::all_of(outboxes.begin(), outboxes.end(),
                           [](const auto& store) { return outbox::Status(*store).pending == 0; });
      },
      timeout, 200ms);
  if (!drained) throw std::runtime_error(what + ": the backlog did not drain in time");
  outboxes.clear();
  // Deliveries in hand (not counted as ready) finish; keep reading terminal events.
  const auto until = Clock::now() + 1s;
  while (Clock::now() < until) watcher.Poll(std::chrono::milliseconds(20));
}

json RssOf(const e2e::System& system, const std::vector<std::string>& processes) {
  json rss = json::object();
  for (const std::string& name : processes) {
    const std::string component = e2e::ComponentOf(name);
    const std::string replica = name.size() > component.size() ? name.substr(component.size()) : "";
    const bool worker = component != "provider" && component != "gateway";
    rss[(worker ? component + "-worker" : component) + replica] = PeakRssMb(system.Pid(name));
  }
  return rss;
}

QueueDrain::QueueDrain(const std::string& amqp_url, std::string queue)
    : connection_({.url = amqp_url, .connection_name = "bench-drain-" + queue}),
      consumer_(connection_, amqp::ConsumerOptions{.queue = queue, .prefetch = 256}) {
  thread_ = std::thread([this] {
    try {
      std::optional<amqp::Delivery> last;
      int unacked = 0;
      while (!stop_) {
        std::optional<amqp::Delivery> d = consumer_.Next(std::chrono::milliseconds(unacked > 0 ? 0 : 100));
        const bool got = d.has_value();
        if (got) {
          last = std::move(d);
          ++unacked;
        }
        // Ack what arrived once the queue has nothing more at hand, or every 64.
        if (unacked > 0 && (!got || unacked >= 64)) {
          consumer_.Ack(*last, /*multiple=*/true);
          unacked = 0;
        }
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "bench: drain stopped: %s\n", e.what());
    }
  });
}

QueueDrain::~QueueDrain() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

testing::BrokerEndpoints ClusterBroker(const Args& args) {
  if (args.cluster_broker == "single") return testing::TestNode();
  std::optional<testing::BrokerEndpoints> cluster = testing::TestCluster();
  if (!cluster) throw std::runtime_error("the cluster phase needs CHOREO_TEST_CLUSTER_AMQP_URLS (infra/bench starts one)");
  return *cluster;
}

}  // namespace choreo::bench
