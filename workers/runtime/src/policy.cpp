#include "choreo/worker/policy.hpp"

#include "choreo/amqp/message.hpp"
#include "choreo/contracts/dead_letter.hpp"
#include "choreo/contracts/topology.hpp"

namespace choreo::worker {

namespace dl = contracts::dead_letter;

Decision Decide(FailureKind kind, int attempt, int max_retries) {
  switch (kind) {
    case FailureKind::kContract:
      return {Decision::Action::kDeadLetter, 0, std::string(dl::kContractError)};
    case FailureKind::kUnknownEvent:
      return {Decision::Action::kDeadLetter, 0, std::string(dl::kUnknownEvent)};
    case FailureKind::kPermanent:
      return {Decision::Action::kDeadLetter, 0, std::string(dl::kPermanentError)};
    case FailureKind::kTransient:
    case FailureKind::kUnexpected:
      break;
  }
  const int available = static_cast<int>(contracts::topology::kRetryDelays.size());
  const int allowed = max_retries < available ? max_retries : available;
  if (attempt <= allowed) return {Decision::Action::kRetry, attempt, ""};
  return {Decision::Action::kDeadLetter, 0,
          std::string(kind == FailureKind::kTransient ? dl::kTransientExhausted : dl::kUnexpectedError)};
}

int AttemptFromHeaders(const amqp::FieldTable& headers, std::string_view work_queue) {
  const std::string prefix = contracts::topology::RetryQueueName(work_queue, 1);
  const std::string stem = prefix.substr(0, prefix.size() - 1);  // "<q>.retry."
  int64_t retries = 0;
  for (const amqp::XDeath& death : amqp::ParseXDeath(headers)) {
    if (death.queue.rfind(stem, 0) == 0 && death.reason == "expired") retries += death.count;
  }
  return static_cast<int>(retries) + 1;
}

}  // namespace choreo::worker
