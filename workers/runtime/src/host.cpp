#include "choreo/worker/host.hpp"

#include <csignal>
#include <stdexcept>

#include "choreo/contracts/catalog.hpp"
#include "choreo/contracts/topology.hpp"
#include "choreo/http/admin_server.hpp"
#include "choreo/metrics/metrics.hpp"
#include "choreo/outbox/outbox.hpp"
#include "choreo/outbox/relay.hpp"
#include "choreo/topology/declare.hpp"

namespace choreo::worker {

void HostOptions::Validate() const {
  if (name.empty()) throw std::invalid_argument("host: name is required");
  amqp::ParseUrls(amqp_url);  // one URL or a cluster's list; throws naming the problem
  if (store_url.empty()) throw std::invalid_argument("host: store_url is required");
  if (store_pool_size == 0) throw std::invalid_argument("host: store_pool_size must be at least 1");
  if (http_port < -1 || http_port > 65535) throw std::invalid_argument("host: http_port must be -1..65535");
  if (outbox_retention.count() < 0) throw std::invalid_argument("host: outbox_retention must not be negative");
}

namespace {

// The host SIGTERM and SIGINT stop (InstallSignalHandlers).
std::atomic<ComponentHost*> g_signal_target{nullptr};

extern "C" void OnStopSignal(int) {
  // Only an atomic store: async-signal-safe.
  if (ComponentHost* host = g_signal_target.load()) host->RequestStop();
}

// Counter deltas from the relay's cumulative stats, so relay figures appear as ordinary
// Prometheus counters.
struct RelayCounterBridge {
  uint64_t last = 0;
  void Update(metrics::Counter& counter, uint64_t now) {
    if (now > last) counter.Inc(static_cast<double>(now - last));
    last = now;
  }
};

}  // namespace

// What exists between construction and destruction besides the store: the relay (created
// at once, so NotifyOutbox never races its creation), its metrics, the admin endpoint.
struct ComponentHost::Running {
  std::unique_ptr<outbox::Relay> relay;
  std::unique_ptr<http::AdminServer> admin;
  metrics::Counter* published = nullptr;
  metrics::Gauge* backlog = nullptr;
  metrics::Gauge* backlog_age = nullptr;
  RelayCounterBridge published_bridge;
  // The collector captures the host: removed in Stop so a later scrape in the same
  // process never touches a stopped or destroyed host.
  uint64_t collector_id = 0;
};

ComponentHost::ComponentHost(HostOptions options) : options_(std::move(options)), running_(std::make_unique<Running>()) {
  options_.Validate();
  store_ = std::make_unique<store::Store>(
      store::StoreOptions{.url = options_.store_url, .pool_size = options_.store_pool_size});

  outbox::RelayOptions relay_options;
  relay_options.amqp = BrokerOptions("relay");
  relay_options.retention = options_.outbox_retention;
  relay_options.declare = [](amqp::Connection& connection) { choreo::topology::DeclareAll(connection); };
  for (const auto& event : contracts::Events()) {
    if (contracts::topology::SubscribersOf(event.type).empty()) relay_options.may_be_unrouted.emplace_back(event.type);
  }
  running_->relay = std::make_unique<outbox::Relay>(*store_, relay_options);

  auto& registry = metrics::Registry::Default();
  const metrics::Labels labels{{"worker", options_.name}};
  running_->published =
      &registry.GetCounter("choreo_messages_published_total", "Outbox rows published and confirmed", labels);
  running_->backlog = &registry.GetGauge("choreo_outbox_backlog", "Outbox rows not yet published", labels);
  running_->backlog_age =
      &registry.GetGauge("choreo_outbox_oldest_age_seconds", "Age of the oldest unpublished outbox row", labels);
}

ComponentHost::~ComponentHost() {
  ComponentHost* self = this;
  g_signal_target.compare_exchange_strong(self, nullptr);
  try {
    Stop();
  } catch (...) {
  }
}

void ComponentHost::Migrate(const std::vector<store::Migration>& migrations) {
  store_->Migrate(options_.name, migrations);
  outbox::InstallSchema(*store_);
}

void ComponentHost::Start() {
  if (started_) return;
  Running& r = *running_;
  r.relay->Start();
  r.collector_id = metrics::Registry::Default().AddCollector([this] {
    Running& running = *running_;
    outbox::OutboxStatus status = Backlog();
    running.backlog->Set(static_cast<double>(status.pending));
    running.backlog_age->Set(
        status.oldest_pending_age ? static_cast<double>(status.oldest_pending_age->count()) / 1000.0 : 0.0);
    running.published_bridge.Update(*running.published, running.relay->Stats().confirmed);
  });
  if (options_.http_port >= 0) {
    http::AdminServerOptions admin_options;
    admin_options.port = static_cast<uint16_t>(options_.http_port);
    r.admin = std::make_unique<http::AdminServer>(admin_options, metrics::Registry::Default(),
                                                  [this] { return ReadinessProblem(); });
    r.admin->Start();
  }
  started_ = true;
}

void ComponentHost::Stop() {
  if (!started_) return;
  Running& r = *running_;
  if (r.admin) r.admin->Stop();
  if (r.collector_id != 0) metrics::Registry::Default().RemoveCollector(r.collector_id);
  r.collector_id = 0;
  r.relay->Stop();
  started_ = false;
}

void ComponentHost::NotifyOutbox() { running_->relay->Notify(); }

outbox::OutboxStatus ComponentHost::Backlog() { return outbox::Status(*store_); }

uint64_t ComponentHost::AddReadinessCheck(ReadinessCheck check) {
  std::lock_guard lock(checks_mutex_);
  checks_.emplace_back(next_check_id_, std::move(check));
  return next_check_id_++;
}

void ComponentHost::RemoveReadinessCheck(uint64_t id) {
  std::lock_guard lock(checks_mutex_);
  std::erase_if(checks_, [id](const auto& entry) { return entry.first == id; });
}

std::string ComponentHost::ReadinessProblem() const {
  {
    // Checks run under the lock (they are quick), so a removed one is never running.
    std::lock_guard lock(checks_mutex_);
    for (const auto& [id, check] : checks_) {
      if (std::string problem = check(); !problem.empty()) return problem;
    }
  }
  try {
    store_->InTransaction([](store::Tx& tx) { tx.Run("SELECT 1"); });
  } catch (const std::exception& e) {
    return std::string("store unreachable: ") + e.what();
  }
  return "";
}

amqp::ConnectionOptions ComponentHost::BrokerOptions(const std::string& role) const {
  amqp::ConnectionOptions o;
  o.url = options_.amqp_url;
  o.connection_name = options_.name + "-" + role;
  // Bounded, so a long outage hands control back to our loops, which check for a stop.
  o.reconnect.max_attempts = 3;
  o.reconnect.max_delay = std::chrono::milliseconds(2000);
  return o;
}

int ComponentHost::HttpPort() const { return running_->admin ? running_->admin->Port() : -1; }

void InstallSignalHandlers(ComponentHost& host) {
  g_signal_target = &host;
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  // Other threads' blocking calls resume instead of failing with EINTR.
  action.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

}  // namespace choreo::worker
