#include "validate_stage.hpp"

#include "choreo/contracts/error.hpp"
#include "choreo/contracts/validation.hpp"

namespace choreo::worker::detail {

int AttemptOf(const amqp::Delivery& delivery) {
  return delivery.exchange.empty() ? AttemptFromHeaders(delivery.message.headers) : 1;
}

std::variant<Item, Rejection> Validate(const amqp::Delivery& delivery, const HandlerTable& handlers,
                                       const contracts::MessageLimits& limits) {
  const int attempt = AttemptOf(delivery);
  Handling handling = HandlingOf(delivery.message);
  contracts::Envelope envelope;
  try {
    envelope = contracts::ParseAndValidate(delivery.message.body, limits);
  } catch (const contracts::ContractError& e) {
    const bool limit = e.Kind() == contracts::ErrorKind::kTooLarge || e.Kind() == contracts::ErrorKind::kTooDeep;
    return Rejection{limit ? FailureKind::kLimit : FailureKind::kContract, e.what(), attempt, std::nullopt,
                     std::move(handling)};
  } catch (const std::exception& e) {
    // Whatever else reading foreign bytes can throw is still about these bytes: it must
    // reach the DLQ, not the consumer loop (which would reconnect and get it again).
    return Rejection{FailureKind::kContract, std::string("unreadable message: ") + e.what(), attempt, std::nullopt,
                     std::move(handling)};
  }
  // The trace the message came with, as the handler sees it (Context::Message()).
  if (!handling.parent_span_id.empty()) {
    envelope.traceparent = contracts::FormatTraceparent({handling.span.trace_id, handling.parent_span_id,
                                                         handling.span.flags});
  }
  const Registered* registered = handlers.Find(envelope.type);
  if (registered == nullptr) {
    std::string error =
        "worker '" + handlers.Topology().worker + "' has no handler for event type '" + envelope.type + "'";
    return Rejection{FailureKind::kUnknownEvent, std::move(error), attempt, std::move(envelope), std::move(handling)};
  }
  return Item{&delivery, std::move(envelope), registered, attempt, std::move(handling)};
}

}  // namespace choreo::worker::detail
