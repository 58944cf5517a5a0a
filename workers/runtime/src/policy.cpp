#include "choreo/worker/policy.hpp"

#include <algorithm>
#include <optional>

#include "choreo/amqp/message.hpp"
#include "choreo/contracts/dead_letter.hpp"
#include "choreo/contracts/topology.hpp"

namespace choreo::worker {

namespace dl = contracts::dead_letter;

Decision Decide(FailureKind kind, int attempt, int max_retries) {
  switch (kind) {
    case FailureKind::kContract:
      return {Decision::Action::kDeadLetter, 0, std::string(dl::kContractError)};
    case FailureKind::kLimit:
      return {Decision::Action::kDeadLetter, 0, std::string(dl::kLimitExceeded)};
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

int AttemptFromHeaders(const amqp::FieldTable& headers) {
  const std::optional<int64_t> attempt = headers.GetInt(dl::kAttempt);
  if (!attempt || *attempt < 1) return 1;
  return static_cast<int>(std::min<int64_t>(*attempt, 1'000'000));
}

}  // namespace choreo::worker
