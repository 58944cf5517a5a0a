#pragma once
// The one place that decides what happens to a message whose handling failed
// (DEVELOPERS: "Decide in one policy, not in every handler"). Pure functions, unit-tested
// without a broker.
#include <string>
#include <string_view>

#include "choreo/amqp/field_table.hpp"

namespace choreo::worker {

enum class FailureKind {
  kContract,     // not JSON, schema violation, unknown version: the bytes will never parse
  kUnknownEvent,  // no handler for this event type in this worker
  kPermanent,    // PermanentError from the handler
  kTransient,    // TransientError, store busy, provider down
  kUnexpected,   // any other exception: retried like a transient one, then dead-lettered
};

struct Decision {
  enum class Action { kRetry, kDeadLetter } action = Action::kDeadLetter;
  int retry_step = 0;       // kRetry: 1-based retry queue to use
  std::string error_class;  // kDeadLetter: value of the x-choreo-error-class header
};

// `attempt` is the 1-based number of the run that just failed; `max_retries` how many
// retries the worker allows (bounded by the number of retry queues).
Decision Decide(FailureKind kind, int attempt, int max_retries);

// The 1-based attempt number of a delivery of `work_queue`: 1 + the number of times it
// went through that queue's retry queues, read from the broker-maintained x-death header.
int AttemptFromHeaders(const amqp::FieldTable& headers, std::string_view work_queue);

}  // namespace choreo::worker
