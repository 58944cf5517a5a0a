#pragma once
// Failure routing: what happens to a delivery whose validation, effect or handler failed.
//   - A failure of a dependency (the store, or what a DependencyError names) is counted by
//     that dependency's circuit. Once the circuit is open (or already was: a straggler of
//     the batch that opened it, a failed probe) the delivery goes back to its queue as it
//     is, without spending an attempt, and the pipeline stops taking deliveries.
//   - Anything else goes where the policy (policy.hpp) sends it: a retry queue or the DLQ,
//     published with confirm by the FailureRouter BEFORE the original is acked, so a crash
//     in between leaves two copies (the inbox dedupes), never none.
// Classify is pure and unit-tested; Fail needs the broker.
#include <exception>
#include <optional>
#include <string>

#include "choreo/amqp/message.hpp"
#include "choreo/contracts/envelope.hpp"
#include "choreo/worker/policy.hpp"
#include "circuit_set.hpp"
#include "consume_stage.hpp"
#include "failure_router.hpp"
#include "handling.hpp"
#include "telemetry.hpp"

namespace choreo::worker::detail {

struct Classified {
  FailureKind kind = FailureKind::kUnexpected;
  std::string error;
  // The circuit the failure counts against, when it is a dependency's and not the message's.
  std::optional<std::string> dependency;
};

// What an exception thrown by an effect or a handler means for its message: PermanentError
// and contract errors can never succeed, TransientError (DependencyError too) and transient
// store errors may, anything else is unexpected (retried like a transient one).
Classified Classify(const std::exception_ptr& error);

class FailureStage {
 public:
  FailureStage(FailureRouterOptions router, int max_retries, CircuitSet& circuits, ConsumeStage& consume,
               Telemetry& telemetry);

  // Routes a failed delivery (see above) and settles it; its log lines carry the failed
  // handling's span, and so does the copy (contracts::kFailedSpanHeader), for the next
  // attempt or the replay to link to. Throws amqp::ConnectionError when the copy could not
  // be published: the original went back to its queue and the connection is suspect.
  void Fail(const amqp::Delivery& delivery, const contracts::Envelope* envelope, const Classified& failure,
            int attempt, const Handling& handling);

  // Services heartbeats of the router's idle connection.
  void Service() noexcept { router_.Service(); }

 private:
  FailureRouter router_;
  std::string work_queue_;
  int max_retries_;
  CircuitSet& circuits_;
  ConsumeStage& consume_;
  Telemetry& telemetry_;
};

}  // namespace choreo::worker::detail
