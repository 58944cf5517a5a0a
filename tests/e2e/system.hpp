#pragma once
// Runs the real system as child processes for end-to-end and fault-injection tests: the
// provider stand-in and the workers, each with its own SQLite store in a temporary
// directory, all on one (test) vhost. Processes can be killed and restarted at will.
#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "choreo/amqp/connection.hpp"
#include "choreo/amqp/consumer.hpp"
#include "choreo/amqp/publisher.hpp"
#include "choreo/contracts/envelope.hpp"
#include "choreo/contracts/events.hpp"
#include "choreo/testing/testing.hpp"

namespace choreo::e2e {

inline const std::vector<std::string> kWorkers = {"order", "inventory", "payment", "shipping", "notification"};

struct SystemOptions {
  // One URL, or several comma-separated (the nodes of a cluster).
  std::string amqp_url;
  std::string reservation_ttl = "5m";
  // Extra environment per component ("provider", "order", ...) or per process ("order#2"),
  // the process's own winning.
  std::map<std::string, std::map<std::string, std::string>> env;
};

// A process is named after its component ("order", "gateway"), or "<component>#<n>" for
// one more replica of it: same executable, same store, its own pid, log and environment.
std::string ComponentOf(const std::string& name);

class System {
 public:
  explicit System(SystemOptions options);
  ~System();  // SIGTERM everything, SIGKILL what does not stop within 15 s
  System(const System&) = delete;
  System& operator=(const System&) = delete;

  // Starts the provider and every worker and waits until the workers consume.
  void StartAll();
  // Also accepts "gateway" (not started by StartAll): its HTTP port is any free one unless
  // CHOREO_GATEWAY_PORT is set for it. Any name may carry a replica suffix ("order#2").
  void Start(const std::string& name);
  // Sets an environment variable of a component or process for its next Start.
  void SetEnv(const std::string& name, const std::string& key, std::string value) {
    options_.env[name][key] = std::move(value);
  }
  // Sends `signal` and reaps the process.
  void Kill(const std::string& name, int signal = SIGKILL);
  bool Running(const std::string& name);
  // How the last run of a process ended ("exit 1", "signal 11 (Segmentation fault)"), as
  // last seen by Kill or Running; "" while it runs or if it never ended.
  std::string Ending(const std::string& name) const;
  // The process id of a running process, or 0.
  pid_t Pid(const std::string& name) const {
    auto it = pids_.find(name);
    return it == pids_.end() ? 0 : it->second;
  }

  const std::string& Dir() const { return dir_; }
  const std::string& AmqpUrl() const { return options_.amqp_url; }
  std::string ProviderUrl() const { return "http://127.0.0.1:" + std::to_string(provider_port_); }
  // The store a process uses: the URL its environment gives (CHOREO_STORE_URL; for the
  // provider CHOREO_PROVIDER_STORE_URL), else its own SQLite file in Dir().
  std::string StoreUrl(const std::string& name) const;
  // The initial stock the inventory worker is seeded with.
  std::string CatalogPath() const;
  // The port of a worker's /healthz, /readyz and /metrics (CHOREO_HTTP_PORT in its
  // environment), or -1 when they are off (the default).
  int HttpPort(const std::string& name) const;
  std::string LogPath(const std::string& name) const { return dir_ + "/" + name + ".log"; }
  // The last lines of a process's log, for failure messages.
  std::string LogTail(const std::string& name, std::size_t lines = 20) const;

  // GET /v1/ledger of the provider.
  nlohmann::json Ledger() const;

 private:
  std::vector<std::string> Command(const std::string& name) const;
  std::map<std::string, std::string> Environment(const std::string& name) const;

  SystemOptions options_;
  std::string dir_;
  std::string bin_dir_;
  int provider_port_ = 0;
  std::map<std::string, pid_t> pids_;
  std::map<std::string, int> ended_;  // wait status of the last run that ended
};

using testing::FreePort;

struct HttpReply {
  int status = 0;
  std::string body;
};
// GET http://127.0.0.1:<port><path> on a fresh connection; throws on transport errors.
HttpReply HttpGet(int port, const std::string& path, std::chrono::seconds timeout = std::chrono::seconds(10));

// Publishes envelopes as the gateway would (persistent, mandatory, confirmed).
class EventPublisher {
 public:
  explicit EventPublisher(const std::string& amqp_url);
  void Publish(const contracts::Envelope& envelope);
  void PublishRaw(const std::string& exchange, const std::string& routing_key, const std::string& body,
                  const std::string& message_id);
  // Any message, properties and headers as given, without waiting for its confirm:
  // hostile-message tests send a thousand of them. Settle() then waits for every
  // outstanding confirm and throws naming the first message the broker did not take.
  void Send(const std::string& exchange, const std::string& routing_key, const amqp::Message& message);
  void Settle(std::chrono::milliseconds timeout = std::chrono::seconds(60));

 private:
  amqp::Connection connection_;
  amqp::Publisher publisher_;
  std::map<uint64_t, std::string> unsettled_;  // sequence number -> message id
};

// Collects the terminal events (order.confirmed / order.cancelled) of every order.
class TerminalWatcher {
 public:
  // Deliveries whose message id (the AMQP property) starts with `skip_prefix` are acked
  // unread and counted: hostile tests publish garbage to the terminal routing keys too,
  // and some of it would take this process down if parsed.
  //
  // `replicated` (the default) reads from a quorum queue, which outlives a broker node's
  // loss as the system's own queues do. A benchmark passes false: its observer then reads
  // from an exclusive classic queue on the node it connected to, so that watching costs
  // the measured cluster no replicated enqueue and no settlement per order (a real
  // deployment has no such observer).
  explicit TerminalWatcher(const std::string& amqp_url, std::string skip_prefix = "", bool replicated = true);
  // Reads what has arrived; returns the number of orders with at least one terminal event.
  std::size_t Poll(std::chrono::milliseconds wait = std::chrono::milliseconds(50));
  // Waits until every id in `order_ids` has a terminal event.
  bool WaitForAll(const std::vector<std::string>& order_ids, std::chrono::milliseconds timeout);
  // Copies of terminal events already seen (same message id), e.g. republished by an
  // outbox relay after a crash.
  std::size_t Redeliveries() const { return redeliveries_; }
  // Deliveries skipped by message id prefix.
  std::size_t Skipped() const { return skipped_; }
  // Distinct terminal events per order id, in arrival order.
  const std::map<std::string, std::vector<contracts::Envelope>>& Terminals() const { return terminals_; }
  // "CONFIRMED" or "CANCELLED:<reason>" of the first terminal event, or "" if none.
  std::string Outcome(const std::string& order_id) const;
  // Arrival time of the first terminal event.
  std::optional<std::chrono::steady_clock::time_point> TerminalAt(const std::string& order_id) const;

 private:
  amqp::Connection connection_;
  std::string queue_;
  std::unique_ptr<amqp::Consumer> consumer_;
  std::map<std::string, std::vector<contracts::Envelope>> terminals_;
  std::map<std::string, std::chrono::steady_clock::time_point> first_at_;
  std::size_t redeliveries_ = 0;
  std::string skip_prefix_;
  std::size_t skipped_ = 0;
};

// An order.placed event with sensible defaults.
contracts::OrderPlaced MakeOrder(const std::string& token = "tok_ok", const std::string& country = "DE",
                                 std::vector<contracts::OrderLine> lines = {{.sku = "sku-001", .quantity = 2}});

}  // namespace choreo::e2e
