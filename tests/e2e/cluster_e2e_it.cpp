// The cluster profile end to end: a three-node RabbitMQ cluster (quorum queues with three
// members), every component's state in PostgreSQL, two replicas of every worker and two
// gateways. Mixed orders go in through both gateways while one broker node is killed with
// SIGKILL (and later restarted) and one replica of every worker is killed; afterwards
// every order must be terminal with the outcome its kind leads to expect, and the auditor
// must find every delivery guarantee kept.
//
// Needs the test cluster infra/test forms (CHOREO_TEST_CLUSTER_*); skipped without it.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "choreo/amqp/connection.hpp"
#include "choreo/testing/test_database.hpp"
#include "choreo/testing/testing.hpp"
#include "system.hpp"
#include "system_audit.hpp"

namespace choreo::e2e {
namespace {

using namespace std::chrono_literals;

// Mixed outcomes without tok_slow (a slow charge only makes the run longer) and without
// sku-rare (its outcome depends on the order in which two load generators meet its
// stock, which the auditor checks anyway).
constexpr const char* kMix = "ok=70,decline=8,flaky=6,insufficient=6,rejected_destination=6,duplicate=4";
constexpr int kOrdersPerGateway = 150;

// A node of the test cluster taken away and brought back, whatever the test does in
// between: later tests must find the cluster whole.
class NodeOutage {
 public:
  explicit NodeOutage(int node) : node_(node) { testing::ClusterCtl("kill " + std::to_string(node_)); }
  ~NodeOutage() {
    try {
      Restore();
    } catch (...) {
      // A destructor must not throw; the next test's set-up reports a broken cluster.
    }
  }
  void Restore() {
    if (restored_) return;
    restored_ = true;
    testing::ClusterCtl("start " + std::to_string(node_));
  }

 private:
  int node_;
  bool restored_ = false;
};

// What a stalled run looks like from outside, for the failure message: every queue of the
// vhost (ready, unacked, consumers, leader, members online) from the first node whose
// management API answers (node 1 may be the one taken away), and the log tails of every
// process. A stall in CI is seen once; this is all there will be to go on.
std::string Diagnose(const System& system, const testing::TestVhost& vhost, const std::vector<std::string>& names) {
  std::string out = "queues of vhost " + vhost.Name() + ":\n";
  for (const testing::BrokerEndpoints& node : testing::TestClusterNodes()) {
    try {
      std::string body;
      if (testing::ManagementRequest(node, "GET", "/api/queues/" + testing::UrlEncode(vhost.Name()), "", &body) != 200) {
        continue;
      }
      // As the API gives it: a queue without a leader has "leader": null, a stalled one
      // may lack counters.
      auto field = [](const nlohmann::json& q, const char* key) { return q.contains(key) ? q[key].dump() : "?"; };
      for (const auto& q : nlohmann::json::parse(body)) {
        out += "  " + field(q, "name") + " ready=" + field(q, "messages_ready") +
               " unacked=" + field(q, "messages_unacknowledged") + " consumers=" + field(q, "consumers") +
               " leader=" + field(q, "leader") + " online=" + field(q, "online") + "\n";
      }
      out += "  (from " + node.mgmt_url + ")\n";
      break;
    } catch (const std::exception& e) {
      out += "  " + node.mgmt_url + ": " + e.what() + "\n";
    }
  }
  for (const auto& name : names) out += "--- " + name + " log:\n" + system.LogTail(name, 15);
  return out;
}

// choreo-load against one gateway, as a child process; its exit status and report.
class LoadRun {
 public:
  LoadRun(const System& system, int gateway_port, int seed) : out_(system.Dir() + "/load-" + std::to_string(seed)) {
    const std::string bin = std::filesystem::read_symlink("/proc/self/exe").parent_path().string() + "/choreo-load";
    std::vector<std::string> args = {bin,
                                     "--url=http://127.0.0.1:" + std::to_string(gateway_port),
                                     "--orders=" + std::to_string(kOrdersPerGateway),
                                     "--rate=8",
                                     "--concurrency=4",
                                     "--mix=" + std::string(kMix),
                                     "--seed=" + std::to_string(seed),
                                     "--settle-timeout=240s",
                                     "--progress=0",
                                     "--orders-file=" + out_ + ".orders.jsonl"};
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      FILE* f = std::freopen((out_ + ".out").c_str(), "w", stdout);
      if (f == nullptr || std::freopen((out_ + ".err").c_str(), "w", stderr) == nullptr) _exit(126);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      _exit(127);
    }
  }
  ~LoadRun() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  // The exit status once it ends within `timeout`, or -1.
  int Wait(std::chrono::milliseconds timeout) {
    int status = 0;
    if (!testing::WaitFor([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, timeout, 100ms)) return -1;
    pid_ = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  std::string Report() const {
    std::ifstream out(out_ + ".out"), err(out_ + ".err");
    std::stringstream text;
    text << out.rdbuf() << err.rdbuf();
    return text.str();
  }

 private:
  std::string out_;
  pid_t pid_ = 0;
};

TEST(ClusterE2E, OrdersThroughTwoGatewaysSurviveABrokerNodeAndAReplicaOfEveryWorker) {
  std::optional<testing::BrokerEndpoints> cluster = testing::TestCluster();
  if (!cluster) GTEST_SKIP() << "no test cluster (CHOREO_TEST_CLUSTER=0)";
  testing::TestVhost vhost("cluster-e2e", *cluster);

  // A database (schema) of its own per component on the test PostgreSQL server, shared
  // by the component's replicas. The provider stand-in stays on SQLite: it is the
  // outside world, not part of choreo.
  std::map<std::string, std::unique_ptr<testing::TestDatabase>> stores;
  SystemOptions options{.amqp_url = vhost.AmqpUrl()};
  std::vector<std::string> components = kWorkers;
  components.push_back("gateway");
  for (const auto& c : components) {
    stores[c] = std::make_unique<testing::TestDatabase>(testing::DbKind::kPostgres, c);
    options.env[c]["CHOREO_STORE_URL"] = stores[c]->Url();
  }
  const int gateway_ports[2] = {FreePort(), FreePort()};
  options.env["gateway"]["CHOREO_GATEWAY_PORT"] = std::to_string(gateway_ports[0]);
  options.env["gateway#2"]["CHOREO_GATEWAY_PORT"] = std::to_string(gateway_ports[1]);
  System system(options);

  system.StartAll();
  for (const auto& w : kWorkers) system.Start(w + "#2");
  system.Start("gateway");
  system.Start("gateway#2");
  amqp::Connection probe({.url = vhost.AmqpUrl(), .connection_name = "cluster-e2e-probe"});
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        for (const auto& c : components) {
          if (probe.InspectQueue(c).consumer_count < 2) return false;
        }
        return true;
      },
      60s, 100ms))
      << "not every component consumes with two replicas; gateway log:\n" << system.LogTail("gateway");

  TerminalWatcher watcher(vhost.AmqpUrl());
  LoadRun first(system, gateway_ports[0], 11);
  LoadRun second(system, gateway_ports[1], 12);
  auto settled_at_least = [&](std::size_t n, std::chrono::seconds timeout) {
    return testing::WaitFor([&] { return watcher.Poll(10ms) >= n; }, timeout, 1ms);
  };

  std::vector<std::string> processes = components;
  for (const auto& c : components) processes.push_back(c + "#2");
  auto diagnose = [&] { return Diagnose(system, vhost, processes) + first.Report() + second.Report(); };

  // Mid-run: node 1 is the first address of every client, so most connections die with it.
  ASSERT_TRUE(settled_at_least(40, 90s)) << "orders do not settle before any fault\n" << diagnose();
  NodeOutage outage(1);
  ASSERT_TRUE(settled_at_least(80, 120s)) << "orders stopped settling with a broker node down\n" << diagnose();
  for (const auto& w : kWorkers) system.Kill(w + "#2", SIGKILL);
  ASSERT_TRUE(settled_at_least(120, 120s)) << "orders stopped settling with one replica of each worker\n" << diagnose();
  outage.Restore();

  const int first_rc = first.Wait(6min);
  const int second_rc = second.Wait(6min);
  EXPECT_EQ(first_rc, 0) << first.Report();
  EXPECT_EQ(second_rc, 0) << second.Report();

  for (const auto& c : components) {
    if (c == "gateway") continue;
    EXPECT_TRUE(system.Running(c)) << c << " died: " << system.Ending(c) << "\n" << system.LogTail(c);
  }
  AuditRun audit = Audit(system, {.mgmt_url = cluster->mgmt_url, .with_gateway = true});
  EXPECT_TRUE(audit.Clean()) << audit.report;
  std::printf("cluster e2e: %zu orders terminal, %zu terminal events repeated; load reports:\n%s\n%s\n",
              watcher.Poll(0ms), watcher.Redeliveries(), first.Report().c_str(), second.Report().c_str());
}

}  // namespace
}  // namespace choreo::e2e
