#include <gtest/gtest.h>

#include "choreo/amqp/message.hpp"
#include "choreo/contracts/dead_letter.hpp"
#include "choreo/worker/policy.hpp"

namespace choreo::worker {
namespace {

using Action = Decision::Action;
namespace dl = contracts::dead_letter;

TEST(Policy, ContractAndPermanentFailuresDeadLetterAtOnce) {
  EXPECT_EQ(Decide(FailureKind::kContract, 1, 4).action, Action::kDeadLetter);
  EXPECT_EQ(Decide(FailureKind::kContract, 1, 4).error_class, dl::kContractError);
  EXPECT_EQ(Decide(FailureKind::kPermanent, 1, 4).error_class, dl::kPermanentError);
  EXPECT_EQ(Decide(FailureKind::kUnknownEvent, 1, 4).error_class, dl::kUnknownEvent);
}

TEST(Policy, TransientFailuresRetryStepByStepThenDeadLetter) {
  for (int attempt = 1; attempt <= 4; ++attempt) {
    Decision d = Decide(FailureKind::kTransient, attempt, 4);
    EXPECT_EQ(d.action, Action::kRetry) << attempt;
    EXPECT_EQ(d.retry_step, attempt);
  }
  Decision last = Decide(FailureKind::kTransient, 5, 4);
  EXPECT_EQ(last.action, Action::kDeadLetter);
  EXPECT_EQ(last.error_class, dl::kTransientExhausted);
  EXPECT_EQ(Decide(FailureKind::kUnexpected, 5, 4).error_class, dl::kUnexpectedError);
}

TEST(Policy, MaxRetriesIsCappedByTheRetryQueuesAndCanBeZero) {
  EXPECT_EQ(Decide(FailureKind::kTransient, 1, 0).action, Action::kDeadLetter);
  EXPECT_EQ(Decide(FailureKind::kTransient, 5, 100).action, Action::kDeadLetter);
  EXPECT_EQ(Decide(FailureKind::kTransient, 2, 2).action, Action::kRetry);
  EXPECT_EQ(Decide(FailureKind::kTransient, 3, 2).action, Action::kDeadLetter);
}

amqp::FieldTable Death(const std::string& queue, const std::string& reason, int64_t count) {
  return amqp::FieldTable{{"count", amqp::FieldValue(count)}, {"reason", amqp::FieldValue(reason)},
                          {"queue", amqp::FieldValue(queue)}, {"exchange", amqp::FieldValue("")}};
}

TEST(Policy, LimitsAreDeadLetteredAtOnceWithTheirOwnClass) {
  const Decision d = Decide(FailureKind::kLimit, 1, 4);
  EXPECT_EQ(d.action, Action::kDeadLetter);
  EXPECT_EQ(d.error_class, dl::kLimitExceeded);
}

TEST(Policy, AttemptIsTheRuntimesOwnHeader) {
  EXPECT_EQ(AttemptFromHeaders({}), 1);
  amqp::FieldTable headers;
  headers.Set(std::string(dl::kAttempt), amqp::FieldValue(int64_t{3}));
  EXPECT_EQ(AttemptFromHeaders(headers), 3);
  // Forged or foreign values cannot break the count.
  headers.Set(std::string(dl::kAttempt), amqp::FieldValue(int64_t{-7}));
  EXPECT_EQ(AttemptFromHeaders(headers), 1);
  headers.Set(std::string(dl::kAttempt), amqp::FieldValue("three"));
  EXPECT_EQ(AttemptFromHeaders(headers), 1);
  headers.Set(std::string(dl::kAttempt), amqp::FieldValue(int64_t{1} << 62));
  EXPECT_EQ(Decide(FailureKind::kTransient, AttemptFromHeaders(headers), 4).action, Action::kDeadLetter);
}

// RabbitMQ 3.13+ ignores an x-death set by a client, so on a republished retry copy it is
// stale or absent; 3.10 keeps it. Either way it must not change the count.
TEST(Policy, XDeathIsInformativeOnly) {
  amqp::FieldTable headers;
  headers.Set("x-death", amqp::FieldValue(amqp::FieldArray{
                             amqp::FieldValue(Death("payment.retry.2", "expired", 9)),
                             amqp::FieldValue(Death("payment.retry.1", "expired", 9)),
                         }));
  EXPECT_EQ(AttemptFromHeaders(headers), 1);
  headers.Set(std::string(dl::kAttempt), amqp::FieldValue(int64_t{2}));
  EXPECT_EQ(AttemptFromHeaders(headers), 2);
}

}  // namespace
}  // namespace choreo::worker
