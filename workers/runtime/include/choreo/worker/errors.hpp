#pragma once
// The two failures a handler may signal. The runtime's policy (policy.hpp) decides what
// happens; handlers never retry, sleep or dead-letter themselves.
#include <stdexcept>
#include <string>

namespace choreo::worker {

// Can never succeed, however often it is retried (a domain rule, a malformed field the
// schema could not catch). Dead-lettered at once.
class PermanentError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// May succeed later (provider 5xx, database busy). Retried with backoff through the retry
// queues, then dead-lettered. Any other exception is treated the same way.
class TransientError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A dependency that every message needs failed (the provider is down, not "this request
// was refused"). Counted by the dependency's circuit breaker (circuit.hpp): while the
// circuit is closed the message is retried like a TransientError; once it opens, the
// worker stops taking messages and returns the ones it holds without spending their
// attempts. `dependency` names the circuit (a small fixed set: it is a metric label).
class DependencyError : public TransientError {
 public:
  DependencyError(std::string dependency, const std::string& message)
      : TransientError(message), dependency_(std::move(dependency)) {}
  const std::string& Dependency() const noexcept { return dependency_; }

 private:
  std::string dependency_;
};

}  // namespace choreo::worker
