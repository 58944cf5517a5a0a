#include "choreo/worker/worker.hpp"

#include <algorithm>
#include <any>
#include <atomic>
#include <exception>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "choreo/amqp/connection.hpp"
#include "choreo/amqp/consumer.hpp"
#include "choreo/amqp/error.hpp"
#include "choreo/amqp/publisher.hpp"
#include "choreo/contracts/catalog.hpp"
#include "choreo/contracts/dead_letter.hpp"
#include "choreo/contracts/error.hpp"
#include "choreo/contracts/time.hpp"
#include "choreo/contracts/topology.hpp"
#include "choreo/contracts/validation.hpp"
#include "choreo/http/admin_server.hpp"
#include "choreo/log/log.hpp"
#include "choreo/metrics/metrics.hpp"
#include "choreo/outbox/inbox.hpp"
#include "choreo/outbox/outbox.hpp"
#include "choreo/outbox/relay.hpp"
#include "choreo/secrets/redact.hpp"
#include "choreo/topology/declare.hpp"
#include "choreo/worker/policy.hpp"
#include "circuit_set.hpp"
#include "concurrent.hpp"
#include "failure_router.hpp"

namespace choreo::worker {

namespace dl = contracts::dead_letter;
namespace topo = contracts::topology;
using Clock = std::chrono::steady_clock;

void WorkerOptions::Validate() const {
  if (name.empty()) throw std::invalid_argument("worker: name is required");
  amqp::ParseUrls(amqp_url);  // one URL or a cluster's list; throws naming the problem
  if (prefetch == 0) throw std::invalid_argument("worker: prefetch must be at least 1");
  if (batch_size == 0) throw std::invalid_argument("worker: batch_size must be at least 1");
  if (batch_size > prefetch) throw std::invalid_argument("worker: batch_size must not exceed prefetch");
  if (max_retries < 0) throw std::invalid_argument("worker: max_retries must not be negative");
  if (poll_interval.count() <= 0) throw std::invalid_argument("worker: poll_interval must be positive");
  if (http_port < -1 || http_port > 65535) throw std::invalid_argument("worker: http_port must be -1..65535");
  if (store_pool_size == 0) throw std::invalid_argument("worker: store_pool_size must be at least 1");
  if (effect_concurrency == 0) throw std::invalid_argument("worker: effect_concurrency must be at least 1");
  limits.Validate();
  circuit.Validate();
}

namespace {

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

struct Worker::Impl {
  explicit Impl(WorkerOptions o) : options(std::move(o)) {
    if (options.store_url.empty()) options.store_url = "sqlite:var/data/" + options.name + ".db";
    options.Validate();
    topology = topo::ForWorker(options.name);
    // A message that meets a dead dependency on every run must open the circuit (and be
    // returned) by its last run at the latest, not be dead-lettered: on a quiet worker it
    // may be the only message, so its own failures are all the circuit gets to count.
    options.circuit.failure_threshold = std::min(options.circuit.failure_threshold, options.max_retries + 1);
    circuits = std::make_unique<detail::CircuitSet>(options.name, options.circuit);
    store = std::make_unique<store::Store>(
        store::StoreOptions{.url = options.store_url, .pool_size = options.store_pool_size});
    auto& registry = metrics::Registry::Default();
    const metrics::Labels w{{"worker", options.name}};
    m_retried = &registry.GetCounter("choreo_messages_retried_total", "Deliveries sent to a retry queue", w);
    m_published = &registry.GetCounter("choreo_messages_published_total", "Outbox rows published and confirmed", w);
    m_backlog = &registry.GetGauge("choreo_outbox_backlog", "Outbox rows not yet published", w);
    m_backlog_age = &registry.GetGauge("choreo_outbox_oldest_age_seconds", "Age of the oldest unpublished outbox row", w);
  }

  WorkerOptions options;
  topo::WorkerTopology topology;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<outbox::Relay> relay;
  std::unique_ptr<http::AdminServer> http_server;
  std::vector<store::Migration> migrations;
  std::vector<std::function<void(store::Store&)>> start_hooks;
  struct Registered {
    RawHandler handler;
    RawEffect effect;  // may be empty
  };
  std::unordered_map<std::string, Registered> handlers;

  // The consuming thread's broker objects (rabbitmq-c: one connection per thread). The
  // router publishes retry and dead-letter copies on a connection of its own, used by the
  // same thread.
  std::unique_ptr<amqp::Connection> connection;
  std::unique_ptr<amqp::Consumer> consumer;
  std::unique_ptr<detail::FailureRouter> router;
  std::unique_ptr<detail::CircuitSet> circuits;
  // Whether the current consumer was opened as a half-open probe (prefetch 1).
  bool probing = false;

  // Lock-free, hence safe to set from a signal handler.
  std::atomic<bool> stop_flag{false};
  static_assert(std::atomic<bool>::is_always_lock_free);
  std::atomic<bool> broker_connected{false};
  std::mutex ready_mutex;
  std::condition_variable ready_cv;
  bool ready = false;

  std::atomic<uint64_t> handled{0}, duplicates{0}, retried{0}, dead_lettered{0}, transactions{0};
  metrics::Counter* m_retried;
  metrics::Counter* m_published;
  metrics::Gauge* m_backlog;
  metrics::Gauge* m_backlog_age;
  RelayCounterBridge published_bridge;
  // The collector captures `this`: removed in ~Worker so a later scrape in the same
  // process never touches a destroyed worker.
  uint64_t collector_id = 0;

  bool Stopping() const { return stop_flag.load(); }

  metrics::Counter& Consumed(const std::string& type, const char* outcome) {
    return metrics::Registry::Default().GetCounter("choreo_messages_consumed_total", "Deliveries consumed, by outcome",
                                                   {{"worker", options.name}, {"type", type}, {"outcome", outcome}});
  }
  metrics::Counter& DeadLettered(const std::string& error_class) {
    return metrics::Registry::Default().GetCounter("choreo_messages_dead_lettered_total", "Deliveries dead-lettered",
                                                   {{"worker", options.name}, {"error_class", error_class}});
  }
  metrics::Histogram& Latency(const std::string& type) {
    return metrics::Registry::Default().GetHistogram("choreo_handler_duration_seconds",
                                                     "Time from delivery to commit of one message",
                                                     metrics::DefaultLatencyBuckets(),
                                                     {{"worker", options.name}, {"type", type}});
  }

  void Start() {
    store->Migrate(options.name, migrations);
    outbox::InstallSchema(*store);
    for (auto& hook : start_hooks) hook(*store);

    outbox::RelayOptions relay_options;
    relay_options.amqp = BrokerOptions("relay");
    relay_options.retention = options.outbox_retention;
    relay_options.declare = [](amqp::Connection& connection) { choreo::topology::DeclareAll(connection); };
    for (const auto& event : contracts::Events()) {
      if (contracts::topology::SubscribersOf(event.type).empty()) relay_options.may_be_unrouted.emplace_back(event.type);
    }
    relay = std::make_unique<outbox::Relay>(*store, relay_options);
    relay->Start();
    router = std::make_unique<detail::FailureRouter>(detail::FailureRouterOptions{
        .amqp = BrokerOptions("failures"), .worker = options.name, .work_queue = topology.work.name});

    collector_id = metrics::Registry::Default().AddCollector([this] {
      outbox::OutboxStatus status = outbox::Status(*store);
      m_backlog->Set(static_cast<double>(status.pending));
      m_backlog_age->Set(status.oldest_pending_age ? static_cast<double>(status.oldest_pending_age->count()) / 1000.0 : 0.0);
      published_bridge.Update(*m_published, relay->Stats().confirmed);
    });
    if (options.http_port >= 0) {
      http::AdminServerOptions http_options;
      http_options.port = static_cast<uint16_t>(options.http_port);
      http_server = std::make_unique<http::AdminServer>(http_options, metrics::Registry::Default(),
                                                        [this] { return ReadinessProblem(); });
      http_server->Start();
    }
  }

  std::string ReadinessProblem() {
    if (std::string problem = circuits->Problem(); !problem.empty()) return problem;
    if (!broker_connected) return "broker unreachable";
    try {
      store->InTransaction([](store::Tx& tx) { tx.Run("SELECT 1"); });
    } catch (const std::exception& e) {
      return std::string("store unreachable: ") + e.what();
    }
    return "";
  }

  amqp::ConnectionOptions BrokerOptions(const std::string& role) const {
    amqp::ConnectionOptions o;
    o.url = options.amqp_url;
    o.connection_name = options.name + "-" + role;
    // Bounded, so a long outage hands control back to our loops, which check for Stop().
    o.reconnect.max_attempts = 3;
    o.reconnect.max_delay = std::chrono::milliseconds(2000);
    return o;
  }

  // `probe`: a half-open circuit lets one message through, so only one is taken.
  void Connect(bool probe) {
    connection = std::make_unique<amqp::Connection>(BrokerOptions("consumer"));
    choreo::topology::DeclareAll(*connection);
    probing = probe;
    consumer = std::make_unique<amqp::Consumer>(
        *connection,
        amqp::ConsumerOptions{.queue = topology.work.name, .prefetch = probe ? uint16_t{1} : options.prefetch});
    broker_connected = true;
    {
      std::lock_guard lock(ready_mutex);
      ready = true;
    }
    ready_cv.notify_all();
    log::Info("consuming", {{"queue", topology.work.name}, {"prefetch", probe ? 1 : options.prefetch}, {"probe", probe}});
  }

  void Disconnect(bool broker_lost = true) {
    if (broker_lost) broker_connected = false;
    // Unacknowledged deliveries go back to the queue when the connection closes.
    consumer.reset();
    connection.reset();
  }

  // While a circuit is open no deliveries are taken: the ones prefetched go back to the
  // queue with the connection, and the loop waits (servicing nothing: there is no
  // consuming connection) until the first circuit is due for a probe. Returns true when
  // it waited, so the loop starts over.
  bool HoldForOpenCircuits() {
    const std::optional<Clock::time_point> until = circuits->OpenUntil();
    if (!until) return false;
    if (connection) {
      log::Info("pausing consumption while a circuit is open", {{"worker", options.name}});
      Disconnect(/*broker_lost=*/false);
    }
    while (Clock::now() < *until && !Stopping()) {
      router->Service();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  }

  void Loop() {
    auto backoff = std::chrono::milliseconds(100);
    auto last_cleanup = Clock::now();
    while (!Stopping()) {
      try {
        if (HoldForOpenCircuits()) continue;
        // Half-open: reconnect with prefetch 1 for the probe; closed again: full prefetch.
        if (connection && probing != circuits->Probing()) Disconnect(/*broker_lost=*/false);
        if (!connection) Connect(circuits->Probing());
        backoff = std::chrono::milliseconds(100);
        std::optional<amqp::Delivery> first = consumer->Next(options.poll_interval);
        router->Service();
        if (first) {
          // Take what has already arrived, up to batch_size, without waiting for more:
          // batches grow with load and cost no latency when idle.
          std::vector<amqp::Delivery> batch{std::move(*first)};
          while (!probing && batch.size() < options.batch_size) {
            std::optional<amqp::Delivery> more = consumer->Next(std::chrono::milliseconds(0));
            if (!more) break;
            batch.push_back(std::move(*more));
          }
          ProcessBatch(batch);
        }
        if (Clock::now() - last_cleanup > std::chrono::minutes(10)) {
          last_cleanup = Clock::now();
          outbox::DeleteInboxOlderThan(*store, options.inbox_retention);
        }
      } catch (const std::exception& e) {
        // Broker gone, channel refused, store down: drop the connection (unacked
        // deliveries are redelivered) and start over after a pause.
        log::Error("consumer loop error; reconnecting", {{"error", e.what()}, {"retry_in_ms", backoff.count()}});
        Disconnect();
        for (auto until = Clock::now() + backoff; Clock::now() < until && !Stopping();) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
      }
    }
    Disconnect();
  }

  // A delivery that passed validation and has a handler.
  struct Item {
    const amqp::Delivery* delivery;
    contracts::Envelope envelope;
    const Registered* registered;
    int attempt;
    bool duplicate = false;
    std::any effect_result;
    std::exception_ptr effect_error;
  };

  // Validates `delivery` and finds its handler. A contract violation or an event without
  // handler is routed by the policy here, and nullopt returned.
  std::optional<Item> Prepare(const amqp::Delivery& delivery) {
    // Only a retry copy (it comes back from a retry queue through the default exchange)
    // carries an attempt number the runtime wrote; on anything else the header is whatever
    // the publisher put there.
    const int attempt = delivery.exchange.empty() ? AttemptFromHeaders(delivery.message.headers) : 1;
    contracts::Envelope envelope;
    try {
      envelope = contracts::ParseAndValidate(delivery.message.body, options.limits);
    } catch (const contracts::ContractError& e) {
      const bool limit = e.Kind() == contracts::ErrorKind::kTooLarge || e.Kind() == contracts::ErrorKind::kTooDeep;
      Fail(delivery, nullptr, limit ? FailureKind::kLimit : FailureKind::kContract, e.what(), attempt);
      return std::nullopt;
    } catch (const std::exception& e) {
      // Whatever else reading foreign bytes can throw is still about these bytes: it must
      // reach the DLQ, not the consumer loop (which would reconnect and get it again).
      Fail(delivery, nullptr, FailureKind::kContract, std::string("unreadable message: ") + e.what(), attempt);
      return std::nullopt;
    }
    auto handler = handlers.find(envelope.type);
    if (handler == handlers.end()) {
      Fail(delivery, &envelope, FailureKind::kUnknownEvent,
           "worker '" + options.name + "' has no handler for event type '" + envelope.type + "'", attempt);
      return std::nullopt;
    }
    return Item{&delivery, std::move(envelope), &handler->second, attempt};
  }

  // Runs the effects of `items` (those that have one) outside any transaction, up to
  // effect_concurrency at once. Items whose effect threw are moved out and returned, to
  // be routed by the policy (RouteEffectFailures) only AFTER the others are committed:
  // routing publishes, and a broker failure there must not throw away effects that did
  // happen (a charge the provider made) before they are recorded.
  std::vector<Item> RunEffects(std::vector<Item>& items) {
    std::vector<Item*> todo;
    for (Item& item : items) {
      if (item.registered->effect) todo.push_back(&item);
    }
    if (todo.empty()) return {};
    auto run = [this](Item& item) {
      try {
        EffectContext fx(item.envelope, *store, item.attempt);
        item.effect_result = item.registered->effect(fx);
      } catch (...) {
        item.effect_error = std::current_exception();
      }
    };
    detail::RunConcurrently(
        todo.size(), options.effect_concurrency, [&](std::size_t i) { run(*todo[i]); },
        [this] {
          if (connection) connection->Service();
          router->Service();
        });
    if (std::any_of(todo.begin(), todo.end(), [](const Item* i) { return !i->effect_error; })) {
      circuits->RecordEffectSuccess();
    }
    std::vector<Item> kept, failed;
    kept.reserve(items.size());
    for (Item& item : items) (item.effect_error ? failed : kept).push_back(std::move(item));
    items = std::move(kept);
    return failed;
  }

  void RouteEffectFailures(const std::vector<Item>& failed) {
    for (const Item& item : failed) {
      try {
        std::rethrow_exception(item.effect_error);
      } catch (const std::exception& e) {
        Fail(*item.delivery, &item.envelope, KindOf(e), e.what(), item.attempt, DependencyOf(e));
      } catch (...) {
        Fail(*item.delivery, &item.envelope, FailureKind::kUnexpected, "effect threw a non-standard exception",
             item.attempt);
      }
    }
  }

  // The circuit a failure counts against, when it is a dependency's and not the message's.
  static std::optional<std::string> DependencyOf(const std::exception& e) {
    if (const auto* d = dynamic_cast<const DependencyError*>(&e)) return d->Dependency();
    if (dynamic_cast<const store::TransientStoreError*>(&e)) return std::string(detail::kStoreCircuit);
    return std::nullopt;
  }

  static FailureKind KindOf(const std::exception& e) {
    if (dynamic_cast<const PermanentError*>(&e)) return FailureKind::kPermanent;
    if (dynamic_cast<const contracts::ContractError*>(&e)) return FailureKind::kContract;
    if (dynamic_cast<const TransientError*>(&e)) return FailureKind::kTransient;
    if (dynamic_cast<const store::TransientStoreError*>(&e)) return FailureKind::kTransient;
    return FailureKind::kUnexpected;
  }

  // Inbox check and handler of one message inside `tx`; false for a duplicate (the
  // handler did not run). The one place both a delivery and Worker::Handle go through.
  bool HandleIn(store::Tx& tx, const contracts::Envelope& envelope, const Registered& registered, int attempt,
                const std::any& effect_result) {
    if (!outbox::TryRecord(tx, options.name, envelope.message_id)) return false;
    Context ctx(envelope, tx, options.name, attempt, registered.effect ? &effect_result : nullptr);
    registered.handler(ctx);
    return true;
  }

  // Inbox check and handler of every item in ONE transaction; commits or throws.
  void Commit(std::vector<Item>& items) {
    store->InTransaction([&](store::Tx& tx) {
      for (Item& item : items) {
        item.duplicate = !HandleIn(tx, item.envelope, *item.registered, item.attempt, item.effect_result);
      }
    });
    transactions++;
    circuits->RecordSuccess(detail::kStoreCircuit);
    if (std::any_of(items.begin(), items.end(), [](const Item& i) { return !i.duplicate; })) relay->Notify();
  }

  void Count(const std::vector<Item>& items, Clock::time_point started) {
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    for (const Item& item : items) {
      if (item.duplicate) {
        duplicates++;
        Consumed(item.envelope.type, "duplicate").Inc();
        log::Debug("duplicate acknowledged without effect", LogFields(item.envelope));
      } else {
        handled++;
        Consumed(item.envelope.type, "handled").Inc();
        Latency(item.envelope.type).Observe(seconds);
      }
    }
  }

  // Several deliveries in ONE transaction (inbox checks, handlers, outbox appends), one
  // commit, one multiple-ack: the fsync and the ack are paid once per batch. Messages that
  // fail validation are routed on their own first. If any handler fails, the transaction
  // is rolled back and every message of the batch runs alone, so one bad message cannot
  // poison the others and the policy sees exactly which one failed. Deliveries keep
  // their queue order, so per-order ordering holds.
  void ProcessBatch(const std::vector<amqp::Delivery>& batch) {
    if (batch.size() == 1) return Process(batch.front());
    const auto started = Clock::now();
    std::vector<Item> items;
    items.reserve(batch.size());
    for (const amqp::Delivery& d : batch) {
      if (std::optional<Item> item = Prepare(d)) items.push_back(std::move(*item));
    }
    std::vector<Item> failed = RunEffects(items);
    if (!items.empty()) {
      try {
        Commit(items);
      } catch (const std::exception& e) {
        log::Debug("batch failed; handling its messages one by one", {{"worker", options.name}, {"error", e.what()}});
        // Each keeps what its effect returned: calling the provider again could fail
        // where the first call succeeded.
        for (Item& item : items) {
          // Once the store's circuit is open the rest go back to the queue untried: each
          // try against a locked or unreachable store can take its whole busy timeout.
          if (circuits->Tripped(detail::kStoreCircuit)) {
            Fail(*item.delivery, &item.envelope, FailureKind::kTransient, "store circuit open", item.attempt,
                 std::string(detail::kStoreCircuit));
          } else {
            CommitOne(item, started);
          }
        }
        RouteEffectFailures(failed);
        return;
      }
    }
    // Route the failed ones before the multiple-ack below, which would settle them too.
    RouteEffectFailures(failed);
    if (items.empty()) return;
    // Everything up to the last item is settled: items by this commit, the others by
    // Fail() (an ack of an already acknowledged tag is a no-op within `multiple`).
    consumer->Ack(*items.back().delivery, /*multiple=*/true);
    Count(items, started);
  }

  // Inbox + handler + outbox of one item in its own transaction, with the effect result
  // it already has; commit and ack, or route its failure by the policy.
  void CommitOne(Item& item, Clock::time_point started) {
    std::vector<Item> one{std::move(item)};
    try {
      Commit(one);
    } catch (const std::exception& e) {
      return Fail(*one.front().delivery, &one.front().envelope, KindOf(e), e.what(), one.front().attempt,
                  DependencyOf(e));
    }
    consumer->Ack(*one.front().delivery);
    Count(one, started);
  }

  // One delivery: validate, inbox + handler + outbox in one transaction, commit, ack.
  // Failures are routed by the policy; only broker errors escape (to Loop).
  void Process(const amqp::Delivery& delivery) {
    const auto started = Clock::now();
    std::optional<Item> item = Prepare(delivery);
    if (!item) return;
    std::vector<Item> items{std::move(*item)};
    std::vector<Item> failed = RunEffects(items);
    if (!failed.empty()) return RouteEffectFailures(failed);
    CommitOne(items.front(), started);
  }

  nlohmann::json LogFields(const contracts::Envelope& e) const {
    return {{"worker", options.name}, {"type", e.type}, {"message_id", e.message_id},
            {"correlation_id", e.correlation_id}, {"causation_id", e.causation_id}};
  }

  // Routes a failed delivery. A failure of `dependency` (store, provider) is counted by its
  // circuit; once that circuit is open (or was already: a straggler of the batch that
  // opened it, a failed probe) the message goes back to its queue as it is, without
  // spending an attempt, and the loop stops taking deliveries.
  void Fail(const amqp::Delivery& delivery, const contracts::Envelope* envelope, FailureKind kind,
            const std::string& error, int attempt, const std::optional<std::string>& dependency = std::nullopt) {
    if (dependency) {
      circuits->RecordFailure(*dependency, detail::SafeText(error, 1000));
      if (circuits->Tripped(*dependency)) {
        consumer->Nack(delivery, /*requeue=*/true);
        Consumed(envelope ? envelope->type : "unknown", "returned").Inc();
        log::Debug("dependency down; message returned without spending an attempt",
                   {{"worker", options.name}, {"circuit", *dependency}, {"message_id", detail::SafeText(delivery.message.message_id, 200)}});
        return;
      }
    }
    const Decision decision = Decide(kind, attempt, options.max_retries);
    // Metric labels must stay a bounded set: an unparsed message's AMQP type property is
    // whatever its publisher wrote, so only known event types are used as labels.
    const std::string type = envelope ? envelope->type
                                      : (contracts::FindEvent(delivery.message.type) ? delivery.message.type : "unknown");
    nlohmann::json fields =
        envelope ? LogFields(*envelope)
                 : nlohmann::json{{"worker", options.name},
                                  {"message_id", detail::SafeText(delivery.message.message_id, 200)}};
    fields["error"] = detail::SafeText(error, 1000);
    fields["attempt"] = attempt;
    if (decision.action == Decision::Action::kRetry) {
      fields["retry_queue"] = topo::RetryQueueName(topology.work.name, decision.retry_step);
    } else {
      fields["error_class"] = decision.error_class;
    }
    // Publish with confirm BEFORE acking the original: a crash in between leaves two
    // copies (the inbox dedupes), never none.
    if (!router->Route(delivery, decision, error, attempt)) {
      // Leave it with the broker; it comes back and the policy runs again.
      consumer->Nack(delivery, /*requeue=*/true);
      throw amqp::ConnectionError("could not move message " + detail::SafeText(delivery.message.message_id, 200) +
                                      " out of " + topology.work.name,
                                  0);
    }
    consumer->Ack(delivery);
    if (decision.action == Decision::Action::kRetry) {
      retried++;
      m_retried->Inc();
      Consumed(type, "retried").Inc();
      log::Warn("handler failed; retrying later", fields);
    } else {
      dead_lettered++;
      DeadLettered(decision.error_class).Inc();
      Consumed(type, "dead_lettered").Inc();
      log::Error("message dead-lettered", fields);
    }
  }
};

Worker::Worker(WorkerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Worker::~Worker() {
  try {
    if (impl_->http_server) impl_->http_server->Stop();
    if (impl_->collector_id != 0) metrics::Registry::Default().RemoveCollector(impl_->collector_id);
    if (impl_->relay) impl_->relay->Stop();
  } catch (...) {
  }
}

Worker& Worker::Migrations(std::vector<store::Migration> migrations) {
  impl_->migrations = std::move(migrations);
  return *this;
}

Worker& Worker::OnStart(std::function<void(store::Store&)> hook) {
  impl_->start_hooks.push_back(std::move(hook));
  return *this;
}

bool Worker::Handle(const contracts::Envelope& envelope) {
  if (!impl_->relay) throw std::logic_error("worker: Handle needs a running worker (call after WaitUntilReady)");
  auto handler = impl_->handlers.find(envelope.type);
  if (handler == impl_->handlers.end()) {
    throw std::invalid_argument("worker '" + impl_->options.name + "' has no handler for '" + envelope.type + "'");
  }
  const Impl::Registered& registered = handler->second;
  std::any effect_result;
  if (registered.effect) {
    EffectContext fx(envelope, *impl_->store, /*attempt=*/1);
    effect_result = registered.effect(fx);
  }
  const bool handled = impl_->store->InTransaction(
      [&](store::Tx& tx) { return impl_->HandleIn(tx, envelope, registered, /*attempt=*/1, effect_result); });
  if (handled) impl_->relay->Notify();
  return handled;
}

Worker& Worker::OnRaw(std::string event_type, RawHandler handler, RawEffect effect) {
  if (!contracts::FindEvent(event_type)) throw std::invalid_argument("no contract for event type '" + event_type + "'");
  const auto& events = impl_->topology.events;
  if (std::find(events.begin(), events.end(), event_type) == events.end()) {
    throw std::invalid_argument("worker '" + impl_->options.name + "' is not subscribed to '" + event_type +
                                "' in contracts/topology: add the subscription there first");
  }
  impl_->handlers[std::move(event_type)] = Impl::Registered{std::move(handler), std::move(effect)};
  return *this;
}

void Worker::Run() {
  impl_->Start();
  log::Info("worker started", {{"worker", impl_->options.name}, {"store", secrets::RedactUrl(impl_->options.store_url)},
                               {"http_port", HttpPort()}});
  impl_->Loop();
  impl_->relay->Stop();
  if (impl_->http_server) impl_->http_server->Stop();
  log::Info("worker stopped", {{"worker", impl_->options.name}, {"handled", impl_->handled.load()}});
}

void Worker::Stop() { impl_->stop_flag = true; }

bool Worker::WaitUntilReady(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->ready_mutex);
  return impl_->ready_cv.wait_for(lock, timeout, [&] { return impl_->ready; });
}

store::Store& Worker::Store() { return *impl_->store; }

void Worker::NotifyOutbox() {
  if (impl_->relay) impl_->relay->Notify();
}

bool Worker::BrokerConnected() const { return impl_->broker_connected; }

const WorkerOptions& Worker::Options() const { return impl_->options; }

WorkerStats Worker::Stats() const {
  return {impl_->handled, impl_->duplicates, impl_->retried, impl_->dead_lettered, impl_->transactions};
}

int Worker::HttpPort() const { return impl_->http_server ? impl_->http_server->Port() : -1; }

}  // namespace choreo::worker
