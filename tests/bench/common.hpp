#pragma once
// What several phases of choreo-bench share: processes, /proc readings, golden examples,
// prefilling a queue, waiting until a running system has no backlog.
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "choreo/amqp/amqp.hpp"
#include "args.hpp"
#include "choreo/testing/testing.hpp"
#include "system.hpp"

namespace choreo::bench {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

double Seconds(Clock::duration d);
double Ms(Clock::duration d);
std::string BinDir();
// Peak resident set (VmHWM) of a live process, in MB.
double PeakRssMb(pid_t pid);
std::string LoadAverage();

pid_t Spawn(const std::vector<std::string>& command, const std::map<std::string, std::string>& env,
            const std::string& log_path);
// SIGTERM, then SIGKILL after 20 s; reaps.
void Terminate(pid_t pid);
// GET on 127.0.0.1; the status, 0 when nothing answered.
int HttpStatus(int port, const std::string& path);

// contracts/examples/<type>.v1.json.
const json& GoldenExample(const std::string& type);
// An inventory.committed envelope (the golden example, with fresh ids): what the worker
// hop consumes, and the payload size of the raw hop.
std::string CommittedBody();
amqp::Message JsonMessage(std::string body, const std::string& type);

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
  check(publisher.WaitForConfirms(std::chrono::minutes(5)));
  if (failed > 0) throw std::runtime_error("prefill: " + std::to_string(failed) + " publishes not confirmed");
}

// Waits until the running system has no backlog: the work queues of `components` empty
// and their outboxes published (a relay's backlog refills the queues later), reading
// terminal events meanwhile; then a second for deliveries in hand. Throws after `timeout`.
void Drain(const e2e::System& system, const std::vector<std::string>& components, e2e::TerminalWatcher& watcher,
           std::chrono::seconds timeout, const std::string& what);

// Peak RSS of the System's processes, keyed "order-worker", "order-worker#2", "provider", "gateway".
json RssOf(const e2e::System& system, const std::vector<std::string>& processes);

// Consumes `queue` on a thread of its own and acknowledges everything (multiple acks,
// prefetch 256) until destroyed. The saga phases run no gateway, whose queue would
// otherwise grow by every order's status changes for the whole run: a long quorum queue
// is work for the broker (three nodes' memory and logs in the cluster) that a deployment,
// where the gateway consumes it, never has, and the flow phase's forwarders consume it too.
class QueueDrain {
 public:
  QueueDrain(const std::string& amqp_url, std::string queue);
  ~QueueDrain();
  QueueDrain(const QueueDrain&) = delete;
  QueueDrain& operator=(const QueueDrain&) = delete;

 private:
  // Connected in the constructor, so nothing published after it returns is missed.
  amqp::Connection connection_;
  amqp::Consumer consumer_;
  std::atomic<bool> stop_{false};
  std::thread thread_;  // last: joined before the consumer and connection go
};

// The broker of the cluster phases: the three-node test cluster (CHOREO_TEST_CLUSTER_*),
// or the single test node with --cluster-broker single.
testing::BrokerEndpoints ClusterBroker(const Args& args);

}  // namespace choreo::bench
