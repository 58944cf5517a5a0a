#include "handling.hpp"

#include <algorithm>

#include "choreo/contracts/dead_letter.hpp"

namespace choreo::worker::detail {

namespace {

Handling FromParent(const std::optional<contracts::TraceContext>& parent) {
  Handling h;
  h.span = contracts::ChildOf(parent);
  if (parent) h.parent_span_id = parent->span_id;
  return h;
}

}  // namespace

Handling HandlingOf(const amqp::Message& message) {
  const std::optional<std::string> traceparent = message.headers.GetString(contracts::kTraceparentHeader);
  Handling h = FromParent(traceparent ? contracts::ParseTraceparent(*traceparent) : std::nullopt);
  h.replays = std::max<int64_t>(0, message.headers.GetInt(contracts::dead_letter::kReplayCount).value_or(0));
  // Only a well-formed span id: the header is copied into the inbox and the logs.
  if (const std::optional<std::string> failed = message.headers.GetString(contracts::kFailedSpanHeader)) {
    if (contracts::IsSpanId(*failed)) h.link_span_id = *failed;
  }
  return h;
}

Handling HandlingOf(const contracts::Envelope& envelope) {
  return FromParent(contracts::ParseTraceparent(envelope.traceparent));
}

log::ScopedFields LogScope(const Handling& handling, const contracts::Envelope* envelope) {
  nlohmann::json fields = {{"trace_id", handling.span.trace_id}, {"span_id", handling.span.span_id}};
  if (!handling.parent_span_id.empty()) fields["parent_span_id"] = handling.parent_span_id;
  if (envelope != nullptr) {
    fields["message_id"] = envelope->message_id;
    fields["correlation_id"] = envelope->correlation_id;
  }
  return log::ScopedFields(std::move(fields));
}

}  // namespace choreo::worker::detail
