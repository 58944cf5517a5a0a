#pragma once
// Telemetry: what a consuming component counts and logs about its messages, in one place
// so every outcome is counted once and the metric names and labels stay the same for every
// component (docs/operations.md): choreo_messages_consumed_total{worker,type,outcome},
// choreo_messages_retried_total{worker}, choreo_messages_dead_lettered_total{worker,
// error_class}, choreo_handler_duration_seconds{worker,type}, and the WorkerStats figures.
// Thread-safe. No I/O besides log lines; tests pass a registry of their own.
#include <atomic>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "choreo/amqp/message.hpp"
#include "choreo/contracts/envelope.hpp"
#include "choreo/metrics/metrics.hpp"
#include "choreo/worker/pipeline.hpp"

namespace choreo::worker::detail {

// The `type` label of a delivery: its envelope's type, else its AMQP type property when
// that names a known event, else "unknown". Label values must stay a bounded set, and an
// unparsed message's type property is whatever its publisher wrote.
std::string TypeLabel(const amqp::Delivery& delivery, const contracts::Envelope* envelope);

// Log fields of a message: component, type, message, correlation and causation ids.
nlohmann::json LogFields(const std::string& component, const contracts::Envelope& envelope);

class Telemetry {
 public:
  Telemetry(std::string component, metrics::Registry& registry);

  void Handled(const std::string& type, double seconds);  // committed and acked
  void Duplicate(const contracts::Envelope& envelope);     // inbox hit: acked without effect
  void Transaction() { transactions_++; }                  // one handler transaction committed
  void Returned(const std::string& type);                  // back to the queue, no attempt spent
  void Retried(const std::string& type);
  void DeadLettered(const std::string& type, const std::string& error_class);

  WorkerStats Stats() const;
  const std::string& Component() const { return component_; }

 private:
  metrics::Counter& Consumed(const std::string& type, const char* outcome);

  std::string component_;
  metrics::Registry& registry_;
  metrics::Counter& retried_total_;
  std::atomic<uint64_t> handled_{0}, duplicates_{0}, retried_{0}, dead_lettered_{0}, transactions_{0};
};

}  // namespace choreo::worker::detail
