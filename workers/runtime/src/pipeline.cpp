#include "choreo/worker/pipeline.hpp"

#include <algorithm>
#include <atomic>
#include <optional>
#include <stdexcept>
#include <thread>
#include <variant>

#include "choreo/log/log.hpp"
#include "choreo/metrics/metrics.hpp"
#include "choreo/outbox/inbox.hpp"
#include "choreo/worker/host.hpp"
#include "circuit_set.hpp"
#include "commit_stage.hpp"
#include "consume_stage.hpp"
#include "effect_stage.hpp"
#include "failure_stage.hpp"
#include "handler_table.hpp"
#include "telemetry.hpp"
#include "validate_stage.hpp"

namespace choreo::worker {

using detail::Item;
using Clock = std::chrono::steady_clock;

void PipelineOptions::Validate() const {
  if (name.empty()) throw std::invalid_argument("worker: name is required");
  if (prefetch == 0) throw std::invalid_argument("worker: prefetch must be at least 1");
  if (batch_size == 0) throw std::invalid_argument("worker: batch_size must be at least 1");
  if (batch_size > prefetch) throw std::invalid_argument("worker: batch_size must not exceed prefetch");
  if (max_retries < 0) throw std::invalid_argument("worker: max_retries must not be negative");
  if (poll_interval.count() <= 0) throw std::invalid_argument("worker: poll_interval must be positive");
  if (ack_delay.count() < 0) throw std::invalid_argument("worker: ack_delay must not be negative");
  if (effect_concurrency == 0) throw std::invalid_argument("worker: effect_concurrency must be at least 1");
  limits.Validate();
  circuit.Validate();
}

namespace {

PipelineOptions Checked(PipelineOptions options) {
  options.Validate();
  // A message that meets a dead dependency on every run must open the circuit (and be
  // returned) by its last run at the latest, not be dead-lettered: on a quiet worker it
  // may be the only message, so its own failures are all the circuit gets to count.
  options.circuit.failure_threshold = std::min(options.circuit.failure_threshold, options.max_retries + 1);
  return options;
}

}  // namespace

struct Pipeline::Impl {
  Impl(ComponentHost& h, PipelineOptions o)
      : host(h),
        options(Checked(std::move(o))),
        handlers(options.name),
        circuits(options.name, options.circuit),
        consume({.amqp = host.BrokerOptions("consumer"),
                 .queue = handlers.Topology().work.name,
                 .prefetch = options.prefetch,
                 .batch_size = options.batch_size,
                 .poll_interval = options.poll_interval,
                 .ack_delay = options.ack_delay}),
        telemetry(options.name, metrics::Registry::Default()),
        failures({.amqp = host.BrokerOptions("failures"), .worker = options.name,
                  .work_queue = handlers.Topology().work.name},
                 options.max_retries, circuits, consume, telemetry),
        commit(host.Store(), options.name) {
    readiness_id = host.AddReadinessCheck([this]() -> std::string {
      if (std::string problem = circuits.Problem(); !problem.empty()) return problem;
      return consume.BrokerConnected() ? "" : "broker unreachable";
    });
  }
  ~Impl() { host.RemoveReadinessCheck(readiness_id); }

  ComponentHost& host;
  PipelineOptions options;
  detail::HandlerTable handlers;
  detail::CircuitSet circuits;
  detail::ConsumeStage consume;
  detail::Telemetry telemetry;
  detail::FailureStage failures;
  detail::CommitStage commit;
  uint64_t readiness_id = 0;
  // Lock-free, hence safe to set from a signal handler.
  std::atomic<bool> stop_flag{false};

  bool Stopping() const { return stop_flag.load() || host.StopRequested(); }

  // While a circuit is open no deliveries are taken: the ones prefetched go back to the
  // queue with the connection, and the loop waits (servicing nothing: there is no
  // consuming connection) until the first circuit is due for a probe. Returns true when
  // it waited, so the loop starts over.
  bool HoldForOpenCircuits() {
    const std::optional<Clock::time_point> until = circuits.OpenUntil();
    if (!until) return false;
    if (consume.Connected()) {
      log::Info("pausing consumption while a circuit is open", {{"worker", options.name}});
      consume.SendHeldAcks();  // between batches: every delivery handed out is settled
      consume.Disconnect(/*broker_lost=*/false);
    }
    while (Clock::now() < *until && !Stopping()) {
      failures.Service();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  }

  void Loop() {
    auto backoff = std::chrono::milliseconds(100);
    auto last_cleanup = Clock::now();
    while (!Stopping()) {
      std::string error;
      try {
        if (HoldForOpenCircuits()) continue;
        // Half-open: reconnect with prefetch 1 for the probe; closed again: full prefetch.
        if (consume.Connected() && consume.Probing() != circuits.Probing()) {
          consume.SendHeldAcks();  // between batches, as above
          consume.Disconnect(false);
        }
        if (!consume.Connected()) consume.Connect(circuits.Probing());
        backoff = std::chrono::milliseconds(100);
        std::vector<amqp::Delivery> batch = consume.NextBatch();
        failures.Service();
        if (!batch.empty()) ProcessBatch(batch);
        if (Clock::now() - last_cleanup > std::chrono::minutes(10)) {
          last_cleanup = Clock::now();
          outbox::DeleteInboxOlderThan(host.Store(), options.inbox_retention);
        }
        continue;
      } catch (const std::exception& e) {
        error = e.what();
      } catch (...) {
        error = "non-standard exception";
      }
      // Broker gone, channel refused, store down: drop the connection (unacked deliveries
      // are redelivered) and start over after a pause.
      log::Error("consumer loop error; reconnecting", {{"error", error}, {"retry_in_ms", backoff.count()}});
      consume.Disconnect();
      for (auto until = Clock::now() + backoff; Clock::now() < until && !Stopping();) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
    }
    consume.SendHeldAcks();  // stopping between batches: the last one is settled
    consume.Disconnect();
  }

  // Validation of every delivery; the rejected ones are routed at once.
  std::vector<Item> ValidateAll(const std::vector<amqp::Delivery>& batch) {
    std::vector<Item> items;
    items.reserve(batch.size());
    for (const amqp::Delivery& delivery : batch) {
      auto checked = detail::Validate(delivery, handlers, options.limits);
      if (auto* item = std::get_if<Item>(&checked)) {
        items.push_back(std::move(*item));
        continue;
      }
      auto& rejection = std::get<detail::Rejection>(checked);
      failures.Fail(delivery, rejection.envelope ? &*rejection.envelope : nullptr,
                    {rejection.kind, std::move(rejection.error), std::nullopt}, rejection.attempt, rejection.handling);
    }
    return items;
  }

  std::vector<Item> Effects(std::vector<Item>& items) {
    detail::EffectResults results = detail::RunEffects(
        items, options.effect_concurrency,
        [this](Item& item) {
          const log::ScopedFields scope = detail::LogScope(item.handling, &item.envelope);
          EffectContext fx(item.envelope, host.Store(), item.attempt);
          return item.registered->effect(fx);
        },
        [this] {
          consume.Service();
          failures.Service();
        });
    if (results.any_succeeded) circuits.RecordEffectSuccess();
    return std::move(results.failed);
  }

  // Inbox check and handler of every item in ONE transaction; commits or throws.
  void Commit(std::vector<Item>& items) {
    const bool emitted = commit.Commit(items);
    telemetry.Transaction();
    circuits.RecordSuccess(detail::kStoreCircuit);
    if (emitted) host.NotifyOutbox();
  }

  void Count(const std::vector<Item>& items, Clock::time_point started) {
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    for (const Item& item : items) {
      if (item.duplicate) {
        telemetry.Duplicate(item.envelope);
      } else {
        telemetry.Handled(item.envelope.type, seconds);
      }
    }
  }

  // One item in its own transaction, with the effect result it already has; commit and
  // ack, or route its failure.
  void CommitOne(Item& item, Clock::time_point started) {
    std::vector<Item> one{std::move(item)};
    try {
      Commit(one);
    } catch (...) {
      const Item& failed = one.front();
      return failures.Fail(*failed.delivery, &failed.envelope, detail::Classify(std::current_exception()),
                           failed.attempt, failed.handling);
    }
    consume.Ack(*one.front().delivery);
    Count(one, started);
  }

  // Several items in one transaction, one commit: the fsync is paid once per batch. If any
  // handler fails, the transaction is rolled back and every item runs alone, so one bad
  // message cannot poison the others and the policy sees exactly which one failed. Each
  // keeps what its effect returned: calling the provider again could fail where the first
  // call succeeded. True when the batch committed as a whole (it is not acked yet).
  bool CommitTogether(std::vector<Item>& items, Clock::time_point started) {
    try {
      Commit(items);
      return true;
    } catch (...) {
      log::Debug("batch failed; handling its messages one by one", {{"worker", options.name}});
    }
    for (Item& item : items) {
      // Once the store's circuit is open the rest go back to the queue untried: each try
      // against a locked or unreachable store can take its whole busy timeout.
      if (circuits.Tripped(detail::kStoreCircuit)) {
        failures.Fail(*item.delivery, &item.envelope,
                      {FailureKind::kTransient, "store circuit open", std::string(detail::kStoreCircuit)},
                      item.attempt, item.handling);
      } else {
        CommitOne(item, started);
      }
    }
    return false;
  }

  // The stages in order. Deliveries keep their queue order, so per-order ordering holds.
  // Only broker errors escape (to Loop).
  void ProcessBatch(const std::vector<amqp::Delivery>& batch) {
    const auto started = Clock::now();
    std::vector<Item> items = ValidateAll(batch);
    std::vector<Item> failed = Effects(items);
    bool together = false;
    if (items.size() == 1) {
      CommitOne(items.front(), started);
    } else if (!items.empty()) {
      together = CommitTogether(items, started);
    }
    // Route the failed effects before the multiple-ack below, which would settle them too.
    for (const Item& item : failed) {
      failures.Fail(*item.delivery, &item.envelope, detail::Classify(item.effect_error), item.attempt, item.handling);
    }
    if (!together) return;
    // Everything up to the last item is settled: items by this commit, the others by the
    // failure stage (an ack of an already acknowledged tag is a no-op within `multiple`).
    consume.Ack(*items.back().delivery, /*multiple=*/true);
    Count(items, started);
  }
};

Pipeline::Pipeline(ComponentHost& host, PipelineOptions options)
    : impl_(std::make_unique<Impl>(host, std::move(options))) {}

Pipeline::~Pipeline() = default;

Pipeline& Pipeline::On(std::string event_type, RawHandler handler, RawEffect effect) {
  impl_->handlers.Add(std::move(event_type), std::move(handler), std::move(effect));
  return *this;
}

Pipeline& Pipeline::SerializeTransactions() {
  impl_->commit.SerializeTransactions("choreo.worker:" + impl_->options.name);
  return *this;
}

void Pipeline::Run() { impl_->Loop(); }

void Pipeline::Stop() { impl_->stop_flag = true; }

bool Pipeline::WaitUntilReady(std::chrono::milliseconds timeout) { return impl_->consume.WaitUntilConnected(timeout); }

bool Pipeline::Handle(const contracts::Envelope& envelope) {
  if (!impl_->host.Started()) throw std::logic_error("worker: Handle needs a running worker (call after WaitUntilReady)");
  const detail::Registered* registered = impl_->handlers.Find(envelope.type);
  if (registered == nullptr) {
    throw std::invalid_argument("worker '" + impl_->options.name + "' has no handler for '" + envelope.type + "'");
  }
  const detail::Handling handling = detail::HandlingOf(envelope);
  std::any effect_result;
  if (registered->effect) {
    const log::ScopedFields scope = detail::LogScope(handling, &envelope);
    EffectContext fx(envelope, impl_->host.Store(), /*attempt=*/1);
    effect_result = registered->effect(fx);
  }
  const bool handled = impl_->commit.CommitOne(envelope, *registered, /*attempt=*/1, handling, effect_result);
  if (handled) impl_->host.NotifyOutbox();
  return handled;
}

bool Pipeline::BrokerConnected() const { return impl_->consume.BrokerConnected(); }

WorkerStats Pipeline::Stats() const { return impl_->telemetry.Stats(); }

const PipelineOptions& Pipeline::Options() const { return impl_->options; }

}  // namespace choreo::worker
