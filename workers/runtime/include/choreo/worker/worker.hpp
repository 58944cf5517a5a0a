#pragma once
// The worker runtime: what engineers build new workers on.
//
//   choreo::worker::Worker worker(options);            // name, broker, store, ...
//   worker.Migrations({{1, "create stock", "CREATE TABLE ..."}});
//   worker.On<contracts::OrderPlaced>([](Context& ctx, const contracts::OrderPlaced& e) {
//     ctx.Tx().Run("UPDATE ...", ...);                 // state, in the message's transaction
//     ctx.Publish(contracts::InventoryReserved{...});  // outbox, same transaction
//   });
//   worker.Run();                                      // until Stop() or SIGTERM
//
// For each delivery the runtime validates the envelope against its schema, opens one
// store transaction, records the message in the inbox (a duplicate is acked without
// running the handler), runs the handler, commits, wakes the outbox relay and acks. A
// failure is routed by one policy (policy.hpp): contract violations and PermanentError are
// dead-lettered at once with the reason in headers; anything else is retried through the
// retry queues with growing delays, then dead-lettered.
//
// A Worker is a ComponentHost (host.hpp: store, relay, admin endpoint, stop) and a
// Pipeline (pipeline.hpp: the stages a delivery goes through) on top of it.
#include <any>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "choreo/amqp/options.hpp"
#include "choreo/config/options.hpp"
#include "choreo/contracts/events.hpp"
#include "choreo/contracts/limits.hpp"
#include "choreo/worker/circuit.hpp"
#include "choreo/worker/context.hpp"
#include "choreo/worker/errors.hpp"
#include "choreo/worker/host.hpp"
#include "choreo/worker/pipeline.hpp"

namespace choreo::worker {

struct WorkerOptions {
  // Component name: its queue (contracts/topology.hpp), inbox consumer name, metrics label.
  std::string name;
  std::string amqp_url = "amqp://guest:guest@127.0.0.1:5672/";
  std::string store_url;  // default: sqlite:var/data/<name>.db
  uint16_t prefetch = 256;
  // Up to this many deliveries that have already arrived are handled in one store
  // transaction (one commit, one multiple-ack). A failing message is isolated by running
  // the batch's messages one by one. 1 = one transaction per message.
  std::size_t batch_size = 64;
  // Retry delays come from the topology (one retry queue per step); this caps the number
  // of retries used (<= the number of retry queues). 0 = dead-letter on first failure.
  int max_retries = 4;
  std::chrono::milliseconds shutdown_timeout{10000};
  std::chrono::milliseconds poll_interval{200};  // also bounds Stop() latency
  // Acks of handled deliveries are held this long and sent as one multiple-ack: on a
  // quorum queue every ack frame is a replicated log entry on each of its members, and
  // one message at a time (a paced load) would cost one each. Holding them delays no
  // message (the prefetch window is far from full), and what a crash loses is handled
  // again and caught by the inbox, as after any crash between commit and ack. 0 = every
  // ack at once.
  std::chrono::milliseconds ack_delay{50};
  // HTTP port of /healthz, /readyz, /metrics; -1 = no HTTP server, 0 = ephemeral.
  int http_port = -1;
  std::size_t store_pool_size = 4;
  // Effects (On with an effect) of one batch run on up to this many threads at once.
  std::size_t effect_concurrency = 16;
  // Checked on the raw body before parsing; a body over either limit is dead-lettered
  // unparsed (error class limit_exceeded).
  contracts::MessageLimits limits;
  // Circuit breakers of the store and of dependencies (DependencyError): when one opens the
  // worker stops taking deliveries instead of burning retries; see circuit.hpp.
  CircuitOptions circuit;
  // Outbox relay and retention.
  std::chrono::milliseconds outbox_retention{std::chrono::hours(24)};
  std::chrono::milliseconds inbox_retention{std::chrono::hours(24 * 7)};

  // Throws std::invalid_argument naming the offending field.
  void Validate() const;
};

class Worker {
 public:
  explicit Worker(WorkerOptions options);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // The worker's own schema, applied at start-up as component `name`.
  Worker& Migrations(std::vector<store::Migration> migrations);
  // Runs once at start-up after migrations (e.g. seed a catalog). May throw: Run fails.
  Worker& OnStart(std::function<void(store::Store&)> hook);

  template <contracts::Event E>
  Worker& On(std::function<void(Context&, const E&)> handler) {
    return OnRaw(std::string(E::kType), Typed<E>(std::move(handler)));
  }
  // A handler that needs the outside world (a payment provider, say) splits in two:
  //   effect:  the call itself, made BEFORE the message's store transaction opens and,
  //            for the messages of one batch, concurrently (effect_concurrency). A slow
  //            call then holds no transaction and no other message of the batch.
  //   handler: records what the effect returned (ctx.Effect<R>() / its third argument)
  //            in the transaction, with inbox and outbox as usual.
  // An effect must be idempotent (the provider's idempotency key): it runs again when the
  // message is redelivered or retried, and it may run for a message the inbox then finds
  // to be a duplicate. (A batch re-run one by one keeps each message's effect result.) Its reads of the store are a
  // snapshot: the handler re-checks under its transaction what the effect relied on and
  // throws TransientError if that changed (the message is then retried). Exceptions of
  // an effect are routed by the same policy as a handler's.
  //
  //   worker.On<contracts::InventoryReserved, Charge>(
  //       [&](EffectContext& fx, const auto& e) { return provider.Charge(...); },
  //       [](Context& ctx, const auto& e, const Charge& charge) { ... });
  template <contracts::Event E, class R>
  Worker& On(std::function<R(EffectContext&, const E&)> effect,
             std::function<void(Context&, const E&, const R&)> handler) {
    return OnRaw(
        std::string(E::kType),
        [h = std::move(handler)](Context& ctx) { h(ctx, contracts::PayloadAs<E>(ctx.Message()), ctx.Effect<R>()); },
        [f = std::move(effect)](EffectContext& fx) -> std::any { return f(fx, contracts::PayloadAs<E>(fx.Message())); });
  }
  Worker& OnRaw(std::string event_type, RawHandler handler, RawEffect effect = nullptr);

  // Replicas of this worker take turns: every transaction that handles messages first
  // takes one lock named after the component (store::LockUntilEnd; PostgreSQL only, a
  // SQLite store already admits one writer). For a worker whose messages all change the
  // same few rows, as inventory's stock: without it two replicas' batches lock those rows
  // in different orders and deadlock, which PostgreSQL breaks only after deadlock_timeout
  // (1 s) by failing one batch. Replicas then add availability, not store throughput;
  // batches still grow with the load. Before Run.
  Worker& SerializeTransactions();

  // Migrates, starts the relay, declares the topology and consumes until Stop() (or a
  // SIGTERM/SIGINT when installed with InstallSignalHandlers). While the broker is
  // unreachable it keeps retrying with backoff (the store and outbox keep working).
  // Drains the deliveries in hand, stops the relay, returns. Throws on start-up failures
  // of the store or a start hook only.
  void Run();
  // Thread-safe and async-signal-safe: sets a flag the loop polls.
  void Stop();
  // Blocks until Run() has declared its topology and is consuming (tests); false on timeout.
  bool WaitUntilReady(std::chrono::milliseconds timeout);

  // Runs `envelope` through what a delivery goes through once taken from the queue
  // (its effect, then inbox + handler + outbox in one transaction, then the relay is
  // woken) on the calling thread, without the broker and without the retry policy: a
  // failure is thrown to the caller. Returns false when the inbox already had the message.
  // Thread-safe; for race tests that must decide when two replicas handle a message, and
  // for tools. Call once Run() is consuming (WaitUntilReady): the relay must be running.
  bool Handle(const contracts::Envelope& envelope);

  // The worker's store (available after construction). Producers that share the
  // worker's process append to its outbox through outbox::AppendEnvelope and then call
  // NotifyOutbox() so the relay publishes at once.
  store::Store& Store();
  void NotifyOutbox();
  // The host under the worker (store, relay, admin endpoint, stop flag).
  ComponentHost& Host();
  // Whether the worker currently has a working broker connection (readiness).
  bool BrokerConnected() const;
  const WorkerOptions& Options() const;
  WorkerStats Stats() const;
  // The bound HTTP port (after WaitUntilReady), or -1.
  int HttpPort() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// SIGTERM and SIGINT call worker.Stop() (InstallSignalHandlers of its host). One worker
// per process.
void InstallSignalHandlers(Worker& worker);

// A worker executable's main: parses the common flags (--amqp-url/CHOREO_AMQP_URL,
// --store-url/CHOREO_STORE_URL, --http-port/CHOREO_HTTP_PORT, --prefetch, --batch-size,
// --max-retries, --log-level, --help) plus the worker's own (added by `add_flags`), builds
// the worker, lets `configure` register migrations and handlers (reading its own flags),
// installs signal handlers and runs. Returns the process exit code (0 after a SIGTERM
// drain, 2: usage error, 1: start-up failure).
//
//   int main(int argc, char** argv) {
//     return choreo::worker::Main(argc, argv, "shipping",
//         [](choreo::config::Options& flags) {
//           flags.Add("countries", "CHOREO_SHIPPING_COUNTRIES", "DE,FR", "destinations served");
//         },
//         [](choreo::worker::Worker& worker, const choreo::config::Options& flags) {
//           shipping::Register(worker, ParseCountries(flags.Get("countries")));
//         });
//   }
int Main(int argc, char** argv, std::string name, const std::function<void(config::Options&)>& add_flags,
         const std::function<void(Worker&, const config::Options&)>& configure);

}  // namespace choreo::worker
