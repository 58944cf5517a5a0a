#include <gtest/gtest.h>

#include "choreo/worker/circuit.hpp"

namespace choreo::worker {
namespace {

using namespace std::chrono_literals;
using Clock = Circuit::Clock;

CircuitOptions Options() {
  return CircuitOptions{.failure_threshold = 3, .failure_rate = 0.5, .rate_min_calls = 10, .rate_window = 10s,
                        .open_initial = 1s, .open_max = 4s};
}

TEST(Circuit, OptionsValidate) {
  EXPECT_NO_THROW(CircuitOptions{}.Validate());
  EXPECT_THROW(CircuitOptions{.failure_threshold = 0}.Validate(), std::invalid_argument);
  EXPECT_THROW(CircuitOptions{.failure_rate = 0.0}.Validate(), std::invalid_argument);
  EXPECT_THROW(CircuitOptions{.failure_rate = 1.5}.Validate(), std::invalid_argument);
  EXPECT_THROW((CircuitOptions{.open_initial = 2s, .open_max = 1s}.Validate()), std::invalid_argument);
}

TEST(Circuit, OpensAfterConsecutiveFailuresOnly) {
  Circuit c(Options());
  const auto t = Clock::now();
  c.RecordFailure(t, "down");
  c.RecordFailure(t, "down");
  c.RecordSuccess(t);  // breaks the run
  c.RecordFailure(t, "down");
  c.RecordFailure(t, "down");
  EXPECT_EQ(c.State(t), CircuitState::kClosed);
  c.RecordFailure(t, "refused");
  EXPECT_EQ(c.State(t), CircuitState::kOpen);
  EXPECT_EQ(c.LastError(), "refused");
  EXPECT_EQ(c.Opened(), 1u);
}

TEST(Circuit, OpensOnFailureRateOverTheWindow) {
  Circuit c(Options());
  auto t = Clock::now();
  // Alternating: never 3 in a row, but half of the calls fail.
  for (int i = 0; i < 9; ++i) {
    (i % 2 == 0) ? c.RecordFailure(t, "x") : c.RecordSuccess(t);
    t += 100ms;
  }
  EXPECT_EQ(c.State(t), CircuitState::kClosed);  // 9 calls: below rate_min_calls
  c.RecordSuccess(t);
  c.RecordFailure(t, "x");  // 11 calls, 6 failed
  EXPECT_EQ(c.State(t), CircuitState::kOpen);
}

TEST(Circuit, OldCallsLeaveTheWindow) {
  Circuit c(Options());
  auto t = Clock::now();
  for (int i = 0; i < 9; ++i) (i % 2 == 0) ? c.RecordFailure(t, "x") : c.RecordSuccess(t);  // 5 of 9 failed
  t += 11s;
  c.RecordSuccess(t);
  c.RecordFailure(t, "x");
  // Counted together it would be 6 of 11; the first nine are older than the window.
  EXPECT_EQ(c.State(t), CircuitState::kClosed);
}

TEST(Circuit, HalfOpenAfterBackoffThenProbeDecides) {
  Circuit c(Options());
  auto t = Clock::now();
  for (int i = 0; i < 3; ++i) c.RecordFailure(t, "down");
  EXPECT_EQ(c.State(t + 999ms), CircuitState::kOpen);
  EXPECT_EQ(c.State(t + 1s), CircuitState::kHalfOpen);
  // The probe fails: open again, for twice as long.
  t += 1s;
  c.RecordFailure(t, "still down");
  EXPECT_EQ(c.State(t + 1999ms), CircuitState::kOpen);
  EXPECT_EQ(c.State(t + 2s), CircuitState::kHalfOpen);
  // Backoff is capped.
  t += 2s;
  c.RecordFailure(t, "still down");
  t += 4s;
  c.RecordFailure(t, "still down");
  EXPECT_EQ(c.State(t + 3999ms), CircuitState::kOpen);
  EXPECT_EQ(c.State(t + 4s), CircuitState::kHalfOpen);
  // The probe succeeds: closed, and the next opening starts from the initial backoff.
  t += 4s;
  c.RecordSuccess(t);
  EXPECT_EQ(c.State(t), CircuitState::kClosed);
  for (int i = 0; i < 3; ++i) c.RecordFailure(t, "down");
  EXPECT_EQ(c.State(t + 1s), CircuitState::kHalfOpen);
  EXPECT_EQ(c.Opened(), 2u);
}

TEST(Circuit, StragglersWhileOpenDoNotExtendTheBackoff) {
  Circuit c(Options());
  const auto t = Clock::now();
  for (int i = 0; i < 3; ++i) c.RecordFailure(t, "down");
  // Failures of calls that were already running when it opened.
  c.RecordFailure(t + 100ms, "down");
  c.RecordFailure(t + 200ms, "down");
  EXPECT_EQ(c.State(t + 1s), CircuitState::kHalfOpen);
}

}  // namespace
}  // namespace choreo::worker
