#pragma once
// The component host: what every choreo process with a store runs besides its own logic.
// Workers get one through Worker; the gateway holds one beside its HTTP server.
//
//   store      opened once; Migrate brings the component's schema and the outbox/inbox
//              tables up to date (idempotent, so a producer can write before the broker
//              was ever reached)
//   relay      publishes the outbox from Start to Stop; NotifyOutbox wakes it after a
//              commit that appended rows (outbox::AppendEnvelope)
//   metrics    outbox backlog and age, rows published (label worker=<name>)
//   admin      /healthz, /readyz, /metrics on http_port (choreo::http::AdminServer)
//   readiness  the checks the parts register (first problem wins), then the store
//   stop       RequestStop, async-signal-safe; InstallSignalHandlers routes SIGTERM and
//              SIGINT to it
//
//   worker::ComponentHost host({.name = "gateway", .amqp_url = ..., .store_url = ...});
//   host.Migrate(gateway::Migrations());
//   host.Start();
//   ... store::Tx writes + outbox::AppendEnvelope, then host.NotifyOutbox() ...
//   host.Stop();
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <string>
#include <vector>

#include "choreo/amqp/options.hpp"
#include "choreo/outbox/outbox.hpp"
#include "choreo/store/store.hpp"

namespace choreo::worker {

struct HostOptions {
  // Component name: metrics label, connection names, migration component.
  std::string name;
  std::string amqp_url = "amqp://guest:guest@127.0.0.1:5672/";
  std::string store_url;  // required
  std::size_t store_pool_size = 4;
  // Port of /healthz, /readyz, /metrics on 127.0.0.1; -1 = none, 0 = ephemeral.
  int http_port = -1;
  // Sent outbox rows are deleted after this long.
  std::chrono::milliseconds outbox_retention{std::chrono::hours(24)};

  // Throws std::invalid_argument naming the offending field.
  void Validate() const;
};

// "" when ready, else why not (e.g. "broker unreachable"). Called on server threads.
using ReadinessCheck = std::function<std::string()>;

class ComponentHost {
 public:
  // Opens the store. Throws std::invalid_argument for bad options, store errors when the
  // store cannot be opened.
  explicit ComponentHost(HostOptions options);
  ~ComponentHost();  // Stop(); never throws
  ComponentHost(const ComponentHost&) = delete;
  ComponentHost& operator=(const ComponentHost&) = delete;

  // The component's migrations (as component `name`), then the outbox and inbox tables.
  void Migrate(const std::vector<store::Migration>& migrations);
  // Starts the relay, the metrics collector and the admin endpoint. Idempotent. Throws
  // when the admin port cannot be bound.
  void Start();
  // Stops the admin endpoint and the relay (finishing its cycle). Idempotent.
  void Stop();
  bool Started() const { return started_; }

  // Wakes the relay now (after a commit that appended outbox rows). Thread-safe.
  void NotifyOutbox();
  // Rows not yet published, failing, oldest age (for metrics). Throws store errors.
  outbox::OutboxStatus Backlog();

  // Adds a readiness check, asked before the store's own, in the order added. Returns an
  // id for RemoveReadinessCheck, which the owner of what the check reads must call before
  // it goes away (the admin endpoint may be asking right now: Remove waits for that).
  uint64_t AddReadinessCheck(ReadinessCheck check);
  void RemoveReadinessCheck(uint64_t id);
  // "" when every check passes, else the first problem.
  std::string ReadinessProblem() const;

  // Thread-safe and async-signal-safe: sets a flag the component's loops poll.
  void RequestStop() noexcept { stop_requested_.store(true); }
  bool StopRequested() const noexcept { return stop_requested_.load(); }

  // Connection options for one of the component's broker connections ("consumer",
  // "relay", "failures"): the component's URL, a name that shows in the management UI,
  // and bounded reconnects so a long outage hands control back to the loops.
  amqp::ConnectionOptions BrokerOptions(const std::string& role) const;

  store::Store& Store() { return *store_; }
  const HostOptions& Options() const { return options_; }
  // The bound admin port while started, else -1.
  int HttpPort() const;

 private:
  struct Running;
  HostOptions options_;
  std::unique_ptr<store::Store> store_;
  mutable std::mutex checks_mutex_;
  std::vector<std::pair<uint64_t, ReadinessCheck>> checks_;
  uint64_t next_check_id_ = 1;
  std::unique_ptr<Running> running_;
  std::atomic<bool> started_{false};
  std::atomic<bool> stop_requested_{false};
  static_assert(std::atomic<bool>::is_always_lock_free);
};

// SIGTERM and SIGINT call host.RequestStop(); SIGPIPE is ignored (a broker that drops the
// socket must not kill the process). One host per process.
void InstallSignalHandlers(ComponentHost& host);

}  // namespace choreo::worker
