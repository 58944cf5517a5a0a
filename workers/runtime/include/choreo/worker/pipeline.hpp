#pragma once
// The consuming side of a component: its work queue through the stages every message goes
// through, on a ComponentHost (host.hpp) that owns the store and the outbox relay.
//
//   consume and batch   take what has arrived, up to batch_size, in one go
//   validate            envelope against its contract, handler, attempt number
//   effects             calls to the outside world, outside any transaction, concurrently
//   commit              inbox + handler + outbox in ONE transaction, then one multiple-ack
//   failure routing     circuits, retry queues, dead letters (policy.hpp)
//   telemetry           counters, latency, log lines
//
// Worker (worker.hpp) is a host plus a pipeline; the gateway runs one for its read model.
//
//   worker::Pipeline pipeline(host, {.name = "gateway"});
//   pipeline.On<contracts::OrderConfirmed>([](worker::Context& ctx, const contracts::OrderConfirmed& e) {...});
//   std::thread consumer([&] { pipeline.Run(); });   // until pipeline.Stop() or host.RequestStop()
#include <any>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "choreo/contracts/envelope.hpp"
#include "choreo/contracts/events.hpp"
#include "choreo/contracts/limits.hpp"
#include "choreo/worker/circuit.hpp"
#include "choreo/worker/context.hpp"

namespace choreo::worker {

class ComponentHost;

using RawHandler = std::function<void(Context&)>;
using RawEffect = std::function<std::any(EffectContext&)>;

// A handler of event type E as the pipeline calls it: with the payload parsed as E.
template <contracts::Event E>
RawHandler Typed(std::function<void(Context&, const E&)> handler) {
  return [h = std::move(handler)](Context& ctx) { h(ctx, contracts::PayloadAs<E>(ctx.Message())); };
}

struct WorkerStats {
  uint64_t handled = 0;        // committed and acked
  uint64_t duplicates = 0;     // inbox hit: acked without effect
  uint64_t retried = 0;
  uint64_t dead_lettered = 0;
  uint64_t transactions = 0;   // committed handler transactions (< handled when batching)
};

// The meaning of each field is documented on WorkerOptions (worker.hpp), which carries
// the same ones.
struct PipelineOptions {
  std::string name;  // the component: its queue (contracts/topology.hpp), inbox consumer
  uint16_t prefetch = 256;
  std::size_t batch_size = 64;
  int max_retries = 4;
  std::chrono::milliseconds poll_interval{200};
  std::chrono::milliseconds ack_delay{50};
  std::size_t effect_concurrency = 16;
  contracts::MessageLimits limits;
  CircuitOptions circuit;
  std::chrono::milliseconds inbox_retention{std::chrono::hours(24 * 7)};

  // Throws std::invalid_argument naming the offending field.
  void Validate() const;
};

class Pipeline {
 public:
  // `host` must outlive the pipeline. Registers its readiness check (open circuits, broker
  // connection) with the host, so construct it before host.Start().
  Pipeline(ComponentHost& host, PipelineOptions options);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Registers the handler (and effect) of `event_type`; before Run. Throws
  // std::invalid_argument when the type has no contract or the component is not subscribed
  // to it in contracts/topology.
  Pipeline& On(std::string event_type, RawHandler handler, RawEffect effect = nullptr);
  template <contracts::Event E>
  Pipeline& On(std::function<void(Context&, const E&)> handler) {
    return On(std::string(E::kType), Typed<E>(std::move(handler)));
  }

  // Replicas take turns on the store: see Worker::SerializeTransactions. Before Run.
  Pipeline& SerializeTransactions();

  // Consumes until Stop() or host.RequestStop(); the host must be started (its relay
  // publishes what handlers emit). While the broker is unreachable it keeps retrying with
  // backoff. Drains the deliveries in hand, then returns. Throws nothing.
  void Run();
  // Thread-safe and async-signal-safe.
  void Stop();
  // Blocks until Run() is consuming; false on timeout.
  bool WaitUntilReady(std::chrono::milliseconds timeout);

  // What a delivery goes through once taken from the queue, on the calling thread, without
  // the broker and the retry policy (see Worker::Handle). Needs a started host.
  bool Handle(const contracts::Envelope& envelope);

  bool BrokerConnected() const;
  WorkerStats Stats() const;
  const PipelineOptions& Options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace choreo::worker
