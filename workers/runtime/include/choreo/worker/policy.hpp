#pragma once
// The one place that decides what happens to a message whose handling failed, so that
// no handler decides retry or dead letter for itself and every worker fails the same way
// (docs/failure-model.md). Pure functions, unit-tested without a broker.
#include <string>
#include <string_view>

#include "choreo/amqp/field_table.hpp"

namespace choreo::worker {

enum class FailureKind {
  kContract,     // not JSON, schema violation, unknown version: the bytes will never parse
  kLimit,        // body over the byte or depth limit: dead-lettered without being parsed
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

// The 1-based attempt number of a delivery: the runtime's own x-choreo-attempt header,
// which it sets on every retry copy (dead_letter.hpp says why x-death is not used). A
// message without it (a first delivery, a replayed dead letter) is attempt 1; a value
// that is not a positive integer (forged, foreign) counts as 1 too, and a huge one is
// capped so it cannot overflow the arithmetic of the policy.
int AttemptFromHeaders(const amqp::FieldTable& headers);

}  // namespace choreo::worker
