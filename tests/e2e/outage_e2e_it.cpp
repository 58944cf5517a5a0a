// Outages of something every message needs, under a steady stream of orders, with the real
// processes (docs/failure-model.md, "Circuit breakers"): the provider failing every call,
// the workers' PostgreSQL unreachable, a worker's SQLite file held locked by another
// process, each for 60 s. Every time the affected workers' circuits open within their
// threshold and /readyz names them, nothing is dead-lettered, the backlog drains by itself
// once the dependency is back, every order ends CONFIRMED, and choreo-admin audit finds
// every guarantee intact.
#include <gtest/gtest.h>

#include <Poco/URI.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>
#include <sstream>

#include "choreo/amqp/connection.hpp"
#include "choreo/contracts/topology.hpp"
#include "choreo/testing/event_probe.hpp"
#include "choreo/testing/tcp_proxy.hpp"
#include "choreo/testing/test_database.hpp"
#include "choreo/testing/testing.hpp"
#include "outage_support.hpp"
#include "system.hpp"
#include "system_audit.hpp"

namespace choreo::e2e {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace topo = contracts::topology;

constexpr double kOrdersPerSecond = 4;
constexpr auto kBefore = 5s;
constexpr auto kOutage = 60s;
constexpr auto kAfter = 10s;  // orders keep coming this long after the recovery
constexpr int kCircuitFailures = 5;
// Probes back off up to 5 s instead of the default 30 s, so a recovery is noticed within
// 5 s and each test stays near 90 s; the backoff itself is covered by the runtime's tests.
constexpr const char* kProbeMax = "5s";

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// The sum of the samples of `metric` whose labels include every one of `labels`
// (name="value" each).
double MetricValue(const std::string& text, const std::string& metric, const std::vector<std::string>& labels) {
  double sum = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with(metric + "{")) continue;
    const std::string label_text = line.substr(0, line.find('}'));
    if (std::all_of(labels.begin(), labels.end(), [&](const std::string& l) { return label_text.find(l) != std::string::npos; })) {
      sum += std::stod(line.substr(line.rfind(' ') + 1));
    }
  }
  return sum;
}

// The dependency that fails, and the workers that must notice.
struct Outage {
  std::string what;
  // Worker -> the circuit its /readyz must name while the dependency is down: the workers
  // that keep receiving messages during the outage.
  std::map<std::string, std::string> circuits;
  std::function<void()> begin;
  std::function<void()> end;
};

class OutageE2E : public ::testing::Test {
 protected:
  // Every worker serves /readyz and /metrics, with the circuit settings given explicitly.
  static SystemOptions Options(const testing::TestVhost& vhost,
                               std::map<std::string, std::map<std::string, std::string>> env = {}) {
    SystemOptions options{.amqp_url = vhost.AmqpUrl()};
    for (const auto& w : kWorkers) {
      options.env[w]["CHOREO_HTTP_PORT"] = std::to_string(FreePort());
      options.env[w]["CHOREO_CIRCUIT_FAILURES"] = std::to_string(kCircuitFailures);
      options.env[w]["CHOREO_CIRCUIT_PROBE_MAX"] = kProbeMax;
    }
    for (auto& [process, variables] : env) {
      for (auto& [k, v] : variables) options.env[process][k] = v;
    }
    return options;
  }

  // Orders flow for kBefore, then `outage` lasts kOutage, then orders flow for kAfter more;
  // then every order must become terminal. Checks and prints the figures.
  void RunUnderLoad(System& system, const testing::TestVhost& vhost, const Outage& outage) {
    TerminalWatcher watcher(system.AmqpUrl());
    for (const auto& w : kWorkers) {
      ASSERT_TRUE(testing::WaitFor([&] { return Ready(system, w).status == 200; }, 30s, 100ms))
          << w << " never ready: " << Ready(system, w).body << "\n" << system.LogTail(w);
    }
    std::map<std::string, double> dlq_max;  // the highest depth seen per DLQ
    auto sample_dlqs = [&, last = Clock::time_point{}]() mutable {
      if (Clock::now() - last < 2s) return;
      last = Clock::now();
      for (const auto& [queue, depth] : DeadLetterDepths(vhost)) dlq_max[queue] = std::max(dlq_max[queue], depth);
    };
    auto run_for = [&](Clock::duration span, const std::function<void()>& each) {
      for (const auto until = Clock::now() + span; Clock::now() < until;) {
        watcher.Poll(100ms);
        sample_dlqs();
        each();
      }
    };

    SteadyOrders load(system.AmqpUrl(), kOrdersPerSecond);
    run_for(kBefore, [] {});
    std::map<std::string, double> retried_before;
    for (const auto& [w, circuit] : outage.circuits) retried_before[w] = Metric(system, w, "choreo_messages_retried_total");

    // The outage: each affected worker's /readyz, once a second, until it names the circuit.
    outage.begin();
    const auto fault_at = Clock::now();
    std::map<std::string, double> not_ready_after;
    std::map<std::string, std::string> not_ready_reason;
    run_for(kOutage, [&, last = Clock::time_point{}]() mutable {
      if (Clock::now() - last < 1s) return;
      last = Clock::now();
      for (const auto& [w, circuit] : outage.circuits) {
        if (not_ready_after.count(w)) continue;
        HttpReply r = Ready(system, w);
        if (r.status == 503 && r.body.find("circuit '" + circuit + "'") != std::string::npos) {
          not_ready_after[w] = Seconds(Clock::now() - fault_at);
          not_ready_reason[w] = r.body;
        }
      }
    });
    std::map<std::string, double> retried_during;
    for (const auto& [w, circuit] : outage.circuits) {
      retried_during[w] = Metric(system, w, "choreo_messages_retried_total") - retried_before[w];
    }
    outage.end();
    const auto recovered_at = Clock::now();
    // Opened only now: it would sit idle through the outage otherwise.
    amqp::Connection inspector({.url = system.AmqpUrl(), .connection_name = "outage-inspector"});

    // Caught up: every order placed so far is terminal and no message waits in a work or
    // retry queue (orders keep coming for kAfter, so this is measured while they do).
    std::optional<double> caught_up_after;
    std::map<std::string, double> ready_after;
    Clock::time_point last_look{};
    auto after_recovery = [&] {
      const double since = Seconds(Clock::now() - recovered_at);
      for (const auto& [w, circuit] : outage.circuits) {
        if (!ready_after.count(w) && Ready(system, w).status == 200) ready_after[w] = since;
      }
      if (!caught_up_after && Clock::now() - last_look >= 500ms) {
        last_look = Clock::now();
        if (AllTerminal(watcher, load.Ids()) && QueuesEmpty(inspector)) caught_up_after = since;
      }
    };
    run_for(kAfter, after_recovery);
    load.Stop();
    const std::vector<std::string> ids = load.Ids();
    EXPECT_EQ(load.Error(), "") << "the order stream broke off";
    const bool all_terminal = testing::WaitFor(
        [&] {
          watcher.Poll(100ms);
          after_recovery();
          return AllTerminal(watcher, ids) && caught_up_after && ready_after.size() == outage.circuits.size();
        },
        180s, 1ms);

    // Figures first, so a failure below comes with them.
    std::printf("\n=== %s ===\n", outage.what.c_str());
    std::printf("orders: %zu sent at %.0f/s (%lld s before, %lld s outage, %lld s after); %zu terminal\n", ids.size(),
                kOrdersPerSecond, static_cast<long long>(kBefore.count()), static_cast<long long>(kOutage.count()),
                static_cast<long long>(kAfter.count()), watcher.Terminals().size());
    for (const auto& [w, circuit] : outage.circuits) {
      std::printf("%s: /readyz 503 %s; retried during the outage: %.0f; circuit '%s' opened %.0f time(s); "
                  "ready again %s\n",
                  w.c_str(),
                  not_ready_after.count(w) ? ("after " + Fixed(not_ready_after[w]) + " s: " + not_ready_reason[w]).c_str()
                                           : "NEVER SEEN",
                  retried_during[w], circuit.c_str(),
                  Metric(system, w, "choreo_circuit_opened_total", "circuit=\"" + circuit + "\""),
                  ready_after.count(w) ? ("after " + Fixed(ready_after[w]) + " s").c_str() : "NEVER");
    }
    std::printf("recovery to empty work queues (every order so far terminal, none waiting): %s\n",
                caught_up_after ? (Fixed(*caught_up_after) + " s").c_str() : "NEVER");
    std::string dlq_line;
    for (const auto& [queue, depth] : dlq_max) dlq_line += " " + queue + "=" + Fixed(depth, 0);
    std::printf("dead letters (highest depth seen):%s\n", dlq_line.c_str());

    ASSERT_TRUE(all_terminal) << "only " << watcher.Terminals().size() << " of " << ids.size()
                              << " orders terminal; logs:\n" << Logs(system, outage);
    for (const auto& [w, circuit] : outage.circuits) {
      EXPECT_TRUE(not_ready_after.count(w)) << w << "'s /readyz never named circuit '" << circuit << "' in "
                                           << kOutage.count() << " s:\n" << system.LogTail(w, 40);
      // At most threshold - 1 messages spend an attempt before the circuit opens; the rest
      // go back to the queue as they are.
      EXPECT_LE(retried_during[w], kCircuitFailures - 1) << w;
      EXPECT_GE(Metric(system, w, "choreo_circuit_opened_total", "circuit=\"" + circuit + "\""), 1) << w;
    }
    for (const auto& id : ids) {
      EXPECT_EQ(watcher.Outcome(id), "CONFIRMED") << id;
      EXPECT_EQ(watcher.Terminals().at(id).size(), 1u) << id << ": more than one distinct terminal event";
    }
    // No dead letter at any time: the sampled management figures, the exact depths now,
    // and what each worker counted.
    for (const auto& [queue, depth] : dlq_max) EXPECT_EQ(depth, 0) << queue;
    for (const auto& w : kWorkers) {
      EXPECT_EQ(inspector.InspectQueue(topo::ForWorker(w).dead_letter.name).message_count, 0u) << w;
      EXPECT_EQ(Metric(system, w, "choreo_messages_dead_lettered_total"), 0) << w;
      EXPECT_TRUE(system.Running(w)) << w << " exited:\n" << system.LogTail(w, 40);
    }

    // The audit, once the last e-mails are out. Outbox rows may still be on their way for
    // a moment, so it is repeated until clean; a real violation (an effect twice, a lost
    // order, a dead letter) stays.
    EXPECT_TRUE(testing::WaitFor([&] { return system.Ledger().at("emails").size() >= ids.size(); }, 60s, 200ms))
        << "e-mails missing";
    AuditRun audit;
    testing::WaitFor([&] { return (audit = Audit(system)).Clean(); }, 60s, 2s);
    std::printf("audit: %s (exit %d)\n%s\n", audit.Clean() ? "clean" : "VIOLATIONS", audit.exit_code,
                audit.report.c_str());
    EXPECT_TRUE(audit.Clean()) << audit.report;
  }

  static HttpReply Ready(const System& system, const std::string& worker) {
    try {
      // A store that is locked makes /readyz wait for it (up to twice the busy timeout).
      return HttpGet(system.HttpPort(worker), "/readyz", 15s);
    } catch (const std::exception& e) {
      return {0, e.what()};
    }
  }

  // A metric of `worker`, read from its /metrics (which waits for a locked store, too).
  static double Metric(const System& system, const std::string& worker, const std::string& metric,
                       const std::string& label = "") {
    std::vector<std::string> labels = {"worker=\"" + worker + "\""};
    if (!label.empty()) labels.push_back(label);
    try {
      return MetricValue(HttpGet(system.HttpPort(worker), "/metrics", 15s).body, metric, labels);
    } catch (const std::exception&) {
      return std::numeric_limits<double>::quiet_NaN();  // fails every comparison, printed as nan
    }
  }

  // Depth of every dead-letter queue of the vhost, from the management API (its figures
  // are refreshed every few seconds: good for watching, not for the final word).
  static std::map<std::string, double> DeadLetterDepths(const testing::TestVhost& vhost) {
    std::string body;
    std::map<std::string, double> depths;
    try {
      const int status = testing::ManagementRequest(
          "GET", "/api/queues/" + testing::UrlEncode(vhost.Name()) + "?columns=name,messages", "", &body);
      if (status != 200) return depths;
    } catch (const std::exception&) {
      return depths;  // a slow answer: the next sample counts
    }
    for (const auto& q : nlohmann::json::parse(body)) {
      const std::string name = q.value("name", "");
      if (name.ends_with(".dlq")) depths[name] = q.value("messages", 0.0);
    }
    return depths;
  }

  static bool AllTerminal(const TerminalWatcher& watcher, const std::vector<std::string>& ids) {
    for (const auto& id : ids) {
      if (!watcher.Terminals().count(id)) return false;
    }
    return true;
  }

  // No message ready in any worker's work or retry queues.
  static bool QueuesEmpty(amqp::Connection& inspector) {
    for (const auto& w : kWorkers) {
      const topo::WorkerTopology t = topo::ForWorker(w);
      if (inspector.InspectQueue(t.work.name).message_count != 0) return false;
      for (const auto& retry : t.retries) {
        if (inspector.InspectQueue(retry.name).message_count != 0) return false;
      }
    }
    return true;
  }

  static std::string Fixed(double value, int decimals = 1) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
    return buffer;
  }

  static std::string Logs(const System& system, const Outage& outage) {
    std::string out;
    for (const auto& [w, circuit] : outage.circuits) out += "--- " + w + "\n" + system.LogTail(w, 40);
    return out;
  }
};

TEST_F(OutageE2E, ProviderFailingEveryCallFor60s) {
  testing::TestVhost vhost("outage-provider");
  System system(Options(vhost));
  system.StartAll();
  auto faults = [&](const std::string& body) { testing::ProviderRequest(system.ProviderUrl(), "POST", "/v1/faults", body); };
  RunUnderLoad(system, vhost,
               {.what = "provider answers 503 to every call for 60 s",
                .circuits = {{"payment", "provider"}},
                .begin = [&] { faults(R"({"error_rate":1.0})"); },
                .end = [&] { faults("{}"); }});
}

// `url` (postgresql://[user@]host[:port]/...) with its port replaced by `port`.
std::string WithPort(const std::string& url, int port) {
  const auto authority = url.find("://") + 3;
  const auto path = url.find('/', authority);
  const auto at = url.find('@', authority);
  const auto host = at < path ? at + 1 : authority;
  const auto colon = url.find(':', host);
  return url.substr(0, colon < path ? colon : path) + ":" + std::to_string(port) + url.substr(path);
}

TEST_F(OutageE2E, PostgresUnreachableFor60s) {
  // The workers reach PostgreSQL through a proxy, which the outage cuts: every connection
  // closed, new ones dropped at once. Stopping the server itself is what this stands for,
  // but the test server is shared with the tests running in parallel.
  testing::TcpProxy proxy("127.0.0.1", static_cast<std::uint16_t>(
                                           Poco::URI(testing::RequireEnv("CHOREO_TEST_PG_URL")).getPort()));
  proxy.Open();
  std::vector<std::unique_ptr<testing::TestDatabase>> databases;
  std::map<std::string, std::map<std::string, std::string>> env;
  for (const auto& w : kWorkers) {
    databases.push_back(std::make_unique<testing::TestDatabase>(testing::DbKind::kPostgres, "outage_" + w));
    env[w]["CHOREO_STORE_URL"] = WithPort(databases.back()->Url(), proxy.Port());
  }
  testing::TestVhost vhost("outage-pg");
  System system(Options(vhost, env));
  system.StartAll();
  // order and inventory take order.placed all along; the workers downstream of them see
  // nothing new while both are stopped.
  RunUnderLoad(system, vhost,
               {.what = "PostgreSQL unreachable for every worker for 60 s",
                .circuits = {{"order", "store"}, {"inventory", "store"}},
                .begin = [&] { proxy.Close(); },
                .end = [&] { proxy.Open(); }});
}

TEST_F(OutageE2E, SqliteFileLockedByAnotherProcessFor60s) {
  testing::TestVhost vhost("outage-sqlite");
  System system(Options(vhost));
  system.StartAll();
  // Forked now, before the test starts threads.
  SqliteWriteLock lock(system.Dir() + "/payment.db");
  // The store circuit opens after 5 failures, each of which may wait SQLite's busy timeout
  // (5 s): up to half a minute of the outage passes before /readyz names it.
  RunUnderLoad(system, vhost,
               {.what = "payment's SQLite file held locked (BEGIN EXCLUSIVE) by another process for 60 s",
                .circuits = {{"payment", "store"}},
                .begin = [&] { lock.Acquire(); },
                .end = [&] { lock.Release(); }});
}

}  // namespace
}  // namespace choreo::e2e
