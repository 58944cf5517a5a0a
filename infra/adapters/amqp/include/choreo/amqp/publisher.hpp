#pragma once
// Publishing with publisher confirms and a pipelined window: Publish() returns at once
// with a sequence number unless `window` confirms are outstanding, and every sequence
// number eventually gets exactly one PublishResult from PollConfirms / WaitForConfirms.
// A relay keeps ~256 rows in flight and marks a row sent only on kConfirmed.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "choreo/amqp/connection.hpp"
#include "choreo/amqp/message.hpp"

namespace choreo::amqp {

enum class PublishOutcome {
  kConfirmed,  // the broker took responsibility (persisted to the routed queues)
  kNacked,     // the broker refused it (e.g. x-overflow reject-publish on a full queue)
  kReturned,   // mandatory and unroutable: no queue bound for the routing key
  kFailed,     // connection or channel lost before the confirm: unknown, republish
};

const char* ToString(PublishOutcome outcome);

struct PublishResult {
  uint64_t seq = 0;
  PublishOutcome outcome = PublishOutcome::kFailed;
  uint16_t reply_code = 0;  // kReturned: 312 NO_ROUTE; kFailed by a close: its code
  std::string reply_text;
};

struct PublisherOptions {
  std::size_t window = 256;  // outstanding confirms before Publish blocks
  bool mandatory = true;
  // How long Publish waits for room in a full window (confirms not coming, e.g. during a
  // broker resource alarm) before it drops the connection and throws TimeoutError.
  std::chrono::milliseconds window_timeout{30000};

  void Validate() const;
};

// Header stamped on every publish so that a basic.return (which carries no delivery
// tag) can be matched to its sequence number.
inline constexpr const char* kPublishSeqHeader = "x-choreo-publish-seq";

class Publisher {
 public:
  // Puts the connection's channel in confirm mode. One Publisher per Connection; the
  // Connection must outlive it.
  Publisher(Connection& connection, PublisherOptions options = {});
  ~Publisher();
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // Returns the message's sequence number (increasing, never reused, also across
  // reconnects). Blocks while the window is full, and while reconnecting. Throws
  // ChannelClosedError if the broker closed the channel (e.g. 404: no such exchange);
  // the messages in flight then come back as kFailed.
  uint64_t Publish(const std::string& exchange, const std::string& routing_key,
                   const Message& message);

  // Results that are ready, reading whatever the broker has sent without blocking.
  std::vector<PublishResult> PollConfirms();
  // Waits until nothing is outstanding or `timeout` passes; returns every result that
  // became ready (also those that were ready before the call).
  std::vector<PublishResult> WaitForConfirms(std::chrono::milliseconds timeout);

  std::size_t Outstanding() const;

 private:
  Connection& connection_;
};

}  // namespace choreo::amqp
