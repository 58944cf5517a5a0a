#pragma once
// The handling of one delivery as a span of the message's trace (contracts/trace.hpp):
// a child of the span that sent the message, or the root of a new trace when the message
// came without one (a foreign producer, a message older than tracing). What the handler
// emits is sent as this span; the inbox row and every log line of the handling carry it.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "choreo/amqp/message.hpp"
#include "choreo/contracts/envelope.hpp"
#include "choreo/contracts/trace.hpp"
#include "choreo/log/log.hpp"

namespace choreo::worker::detail {

struct Handling {
  contracts::TraceContext span;  // this handling's own span
  std::string parent_span_id;    // the sender's span; "" when the message had no trace
  int64_t replays = 0;           // x-choreo-replay-count: times replayed from a DLQ
  std::string link_span_id;      // the failed handling a retry or replay comes after

  // `traceparent` of what this handling emits.
  std::string Traceparent() const { return contracts::FormatTraceparent(span); }
};

// From the delivery's headers (traceparent, replay count, failed span); never throws for
// whatever a publisher wrote there: an invalid traceparent starts a new trace.
Handling HandlingOf(const amqp::Message& message);
// From an envelope's traceparent alone (Pipeline::Handle: no delivery).
Handling HandlingOf(const contracts::Envelope& envelope);

// trace_id, span_id and parent_span_id plus the message's ids: the fields of every log
// line written while the message is handled.
log::ScopedFields LogScope(const Handling& handling, const contracts::Envelope* envelope);

}  // namespace choreo::worker::detail
