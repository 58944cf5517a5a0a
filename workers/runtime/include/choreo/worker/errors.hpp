#pragma once
// The two failures a handler may signal. The runtime's policy (policy.hpp) decides what
// happens; handlers never retry, sleep or dead-letter themselves.
#include <stdexcept>

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

}  // namespace choreo::worker
