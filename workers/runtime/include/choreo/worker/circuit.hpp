#pragma once
// Circuit breakers: a worker stops taking messages while something every message needs
// is down, instead of spending each message's retries on an outage.
//
// Per-message failures (a declined card, a contract violation, a 4xx for one request) say
// something about the message and keep the retry/dead-letter policy. A failure of the
// store, or of a dependency that fails for everyone (the provider), says nothing about
// the message: retrying it on a schedule would move every message that arrives during a
// 90-second outage into the DLQs. So each such dependency has a circuit:
//
//   closed    messages flow; failures are counted. `failure_threshold` consecutive
//             failures, or a failure rate of `failure_rate` over the last
//             `rate_window` (once `rate_min_calls` calls were seen), open it.
//   open      the worker takes no deliveries (those it holds go back to the queue without
//             spending an attempt), /readyz answers 503 naming the circuit. After a
//             backoff (`open_initial`, doubling up to `open_max`) it turns half-open.
//   half-open one message is let through as a probe: success closes the circuit (and
//             resets the backoff), failure opens it again with the next backoff.
//
// Pure state machine: time is passed in, so it is unit-tested without clocks or I/O.
#include <chrono>
#include <cstdint>
#include <deque>
#include <string>

namespace choreo::worker {

struct CircuitOptions {
  int failure_threshold = 5;
  double failure_rate = 0.8;
  std::size_t rate_min_calls = 20;
  std::chrono::milliseconds rate_window{10000};
  std::chrono::milliseconds open_initial{1000};
  std::chrono::milliseconds open_max{30000};

  // Throws std::invalid_argument naming the offending field.
  void Validate() const;
};

enum class CircuitState { kClosed, kHalfOpen, kOpen };
const char* ToString(CircuitState state);

class Circuit {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Circuit(CircuitOptions options = {});

  void RecordSuccess(Clock::time_point now);
  void RecordFailure(Clock::time_point now, std::string error);

  // The state at `now`: an open circuit whose backoff has passed reads as half-open.
  CircuitState State(Clock::time_point now) const;
  // When an open circuit turns half-open (meaningful while open).
  Clock::time_point RetryAt() const { return retry_at_; }
  const std::string& LastError() const { return last_error_; }
  // Times the circuit opened since construction.
  uint64_t Opened() const { return opened_; }

 private:
  void Open(Clock::time_point now);
  void Trim(Clock::time_point now);

  CircuitOptions options_;
  bool open_ = false;        // open or half-open
  int consecutive_ = 0;
  std::deque<std::pair<Clock::time_point, bool>> window_;  // (when, failed), closed state only
  std::size_t window_failures_ = 0;
  std::chrono::milliseconds backoff_;
  Clock::time_point retry_at_{};
  std::string last_error_;
  uint64_t opened_ = 0;
};

}  // namespace choreo::worker
