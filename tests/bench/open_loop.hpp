#pragma once
// The open-loop HTTP driver: POST /orders to the gateway on a fixed schedule (order i at
// start + i / rate, curve_logic.hpp), never "the next when one returns". Several sender
// threads, each with its own keep-alive connection, take the next due order, so a slow
// answer holds up one connection, not the schedule; an order sent late still counts from
// its scheduled time.
#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace choreo::bench {

struct OpenLoopOptions {
  int port = 0;              // gateway on 127.0.0.1
  std::string api_key;       // Authorization: Bearer, when set
  double rate = 0;           // orders/s
  int connections = 8;       // sender threads
  std::chrono::seconds request_timeout{10};
  std::string key_prefix = "bench";  // Idempotency-Key = <prefix>-<index>

  void Validate() const;
};

struct SentOrder {
  std::chrono::steady_clock::time_point due, sent, answered;
  int status = 0;            // HTTP status; 0 when nothing answered
  std::string order_id;      // from a 202
  std::string error;
};

// Sends bodies[i] at start + i / rate (start: a little after the call, so every sender is
// ready). `between` runs on the calling thread until every order has been answered: read
// terminal events there.
std::vector<SentOrder> SendOpenLoop(const OpenLoopOptions& options, const std::vector<std::string>& bodies,
                                    const std::function<void()>& between);

}  // namespace choreo::bench
