#include "failure_stage.hpp"

#include "choreo/amqp/error.hpp"
#include "choreo/contracts/error.hpp"
#include "choreo/contracts/topology.hpp"
#include "choreo/log/log.hpp"
#include "choreo/store/store.hpp"
#include "choreo/worker/errors.hpp"

namespace choreo::worker::detail {

Classified Classify(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const DependencyError& e) {
    return {FailureKind::kTransient, e.what(), e.Dependency()};
  } catch (const PermanentError& e) {
    return {FailureKind::kPermanent, e.what(), std::nullopt};
  } catch (const contracts::ContractError& e) {
    return {FailureKind::kContract, e.what(), std::nullopt};
  } catch (const TransientError& e) {
    return {FailureKind::kTransient, e.what(), std::nullopt};
  } catch (const store::TransientStoreError& e) {
    return {FailureKind::kTransient, e.what(), std::string(kStoreCircuit)};
  } catch (const std::exception& e) {
    return {FailureKind::kUnexpected, e.what(), std::nullopt};
  } catch (...) {
    return {FailureKind::kUnexpected, "non-standard exception", std::nullopt};
  }
}

FailureStage::FailureStage(FailureRouterOptions router, int max_retries, CircuitSet& circuits, ConsumeStage& consume,
                           Telemetry& telemetry)
    : router_(router),
      work_queue_(router.work_queue),
      max_retries_(max_retries),
      circuits_(circuits),
      consume_(consume),
      telemetry_(telemetry) {}

void FailureStage::Fail(const amqp::Delivery& delivery, const contracts::Envelope* envelope,
                        const Classified& failure, int attempt, const Handling& handling) {
  const log::ScopedFields scope = LogScope(handling, envelope);
  const std::string type = TypeLabel(delivery, envelope);
  const std::string message_id = SafeText(delivery.message.message_id, 200);
  if (failure.dependency) {
    circuits_.RecordFailure(*failure.dependency, SafeText(failure.error, 1000));
    if (circuits_.Tripped(*failure.dependency)) {
      consume_.Return(delivery);
      telemetry_.Returned(type);
      log::Debug("dependency down; message returned without spending an attempt",
                 {{"worker", telemetry_.Component()}, {"circuit", *failure.dependency}, {"message_id", message_id}});
      return;
    }
  }
  const Decision decision = Decide(failure.kind, attempt, max_retries_);
  nlohmann::json fields = envelope ? LogFields(telemetry_.Component(), *envelope)
                                   : nlohmann::json{{"worker", telemetry_.Component()}, {"message_id", message_id}};
  fields["error"] = SafeText(failure.error, 1000);
  fields["attempt"] = attempt;
  const bool retry = decision.action == Decision::Action::kRetry;
  if (retry) {
    fields["retry_queue"] = contracts::topology::RetryQueueName(work_queue_, decision.retry_step);
  } else {
    fields["error_class"] = decision.error_class;
  }
  if (!router_.Route(delivery, decision, failure.error, attempt, handling.span.span_id)) {
    // Leave it with the broker; it comes back and the policy runs again.
    consume_.Return(delivery);
    throw amqp::ConnectionError("could not move message " + message_id + " out of " + work_queue_, 0);
  }
  consume_.Ack(delivery);
  if (retry) {
    telemetry_.Retried(type);
    log::Warn("handler failed; retrying later", fields);
  } else {
    telemetry_.DeadLettered(type, decision.error_class);
    log::Error("message dead-lettered", fields);
  }
}

}  // namespace choreo::worker::detail
