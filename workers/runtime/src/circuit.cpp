#include "choreo/worker/circuit.hpp"

#include <algorithm>
#include <stdexcept>

namespace choreo::worker {

void CircuitOptions::Validate() const {
  if (failure_threshold < 1) throw std::invalid_argument("circuit: failure_threshold must be at least 1");
  if (!(failure_rate > 0.0 && failure_rate <= 1.0)) throw std::invalid_argument("circuit: failure_rate must be in (0, 1]");
  if (rate_min_calls == 0) throw std::invalid_argument("circuit: rate_min_calls must be at least 1");
  if (rate_window.count() <= 0) throw std::invalid_argument("circuit: rate_window must be positive");
  if (open_initial.count() <= 0) throw std::invalid_argument("circuit: open_initial must be positive");
  if (open_max < open_initial) throw std::invalid_argument("circuit: open_max must not be below open_initial");
}

const char* ToString(CircuitState state) {
  switch (state) {
    case CircuitState::kClosed: return "closed";
    case CircuitState::kHalfOpen: return "half_open";
    case CircuitState::kOpen: return "open";
  }
  return "unknown";
}

Circuit::Circuit(CircuitOptions options) : options_(options), backoff_(options.open_initial) {
  options_.Validate();
}

void Circuit::Trim(Clock::time_point now) {
  while (!window_.empty() && now - window_.front().first > options_.rate_window) {
    if (window_.front().second) --window_failures_;
    window_.pop_front();
  }
}

void Circuit::Open(Clock::time_point now) {
  if (!open_) ++opened_;
  open_ = true;
  retry_at_ = now + backoff_;
  backoff_ = std::min(backoff_ * 2, options_.open_max);
  consecutive_ = 0;
  window_.clear();
  window_failures_ = 0;
}

void Circuit::RecordSuccess(Clock::time_point now) {
  consecutive_ = 0;
  if (open_) {
    // Only a half-open probe reaches the dependency while the circuit is open; its success
    // (or that of a call already in flight when it opened) closes it.
    open_ = false;
    backoff_ = options_.open_initial;
    return;
  }
  Trim(now);
  window_.emplace_back(now, false);
}

void Circuit::RecordFailure(Clock::time_point now, std::string error) {
  last_error_ = std::move(error);
  if (open_) {
    // A failed probe (or a straggler of the batch that opened it): wait longer.
    if (now >= retry_at_) Open(now);
    return;
  }
  ++consecutive_;
  Trim(now);
  window_.emplace_back(now, true);
  ++window_failures_;
  const bool by_count = consecutive_ >= options_.failure_threshold;
  const bool by_rate = window_.size() >= options_.rate_min_calls &&
                       static_cast<double>(window_failures_) >= options_.failure_rate * static_cast<double>(window_.size());
  if (by_count || by_rate) Open(now);
}

CircuitState Circuit::State(Clock::time_point now) const {
  if (!open_) return CircuitState::kClosed;
  return now >= retry_at_ ? CircuitState::kHalfOpen : CircuitState::kOpen;
}

}  // namespace choreo::worker
