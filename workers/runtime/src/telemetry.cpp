#include "telemetry.hpp"

#include "choreo/contracts/catalog.hpp"
#include "choreo/log/log.hpp"

namespace choreo::worker::detail {

std::string TypeLabel(const amqp::Delivery& delivery, const contracts::Envelope* envelope) {
  if (envelope != nullptr) return envelope->type;
  return contracts::FindEvent(delivery.message.type) ? delivery.message.type : "unknown";
}

nlohmann::json LogFields(const std::string& component, const contracts::Envelope& envelope) {
  return {{"worker", component},
          {"type", envelope.type},
          {"message_id", envelope.message_id},
          {"correlation_id", envelope.correlation_id},
          {"causation_id", envelope.causation_id}};
}

Telemetry::Telemetry(std::string component, metrics::Registry& registry)
    : component_(std::move(component)),
      registry_(registry),
      // Registered up front, so the series exists (at 0) before the first retry.
      retried_total_(registry.GetCounter("choreo_messages_retried_total", "Deliveries sent to a retry queue",
                                         {{"worker", component_}})) {}

metrics::Counter& Telemetry::Consumed(const std::string& type, const char* outcome) {
  return registry_.GetCounter("choreo_messages_consumed_total", "Deliveries consumed, by outcome",
                              {{"worker", component_}, {"type", type}, {"outcome", outcome}});
}

void Telemetry::Handled(const std::string& type, double seconds) {
  handled_++;
  Consumed(type, "handled").Inc();
  registry_
      .GetHistogram("choreo_handler_duration_seconds", "Time from delivery to commit of one message",
                    metrics::DefaultLatencyBuckets(), {{"worker", component_}, {"type", type}})
      .Observe(seconds);
}

void Telemetry::Duplicate(const contracts::Envelope& envelope) {
  duplicates_++;
  Consumed(envelope.type, "duplicate").Inc();
  log::Debug("duplicate acknowledged without effect", LogFields(component_, envelope));
}

void Telemetry::Returned(const std::string& type) { Consumed(type, "returned").Inc(); }

void Telemetry::Retried(const std::string& type) {
  retried_++;
  retried_total_.Inc();
  Consumed(type, "retried").Inc();
}

void Telemetry::DeadLettered(const std::string& type, const std::string& error_class) {
  dead_lettered_++;
  registry_
      .GetCounter("choreo_messages_dead_lettered_total", "Deliveries dead-lettered",
                  {{"worker", component_}, {"error_class", error_class}})
      .Inc();
  Consumed(type, "dead_lettered").Inc();
}

WorkerStats Telemetry::Stats() const {
  return {handled_.load(), duplicates_.load(), retried_.load(), dead_lettered_.load(), transactions_.load()};
}

}  // namespace choreo::worker::detail
