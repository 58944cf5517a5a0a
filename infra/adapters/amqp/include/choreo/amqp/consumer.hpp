#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "choreo/amqp/connection.hpp"
#include "choreo/amqp/message.hpp"

namespace choreo::amqp {

struct ConsumerOptions {
  std::string queue;
  uint16_t prefetch = 256;  // basic.qos: unacknowledged deliveries the broker may push
  bool exclusive = false;
  // Generated (unique per Connection) when empty; kept across reconnects.
  std::string consumer_tag;
  FieldTable arguments;

  void Validate() const;
};

// A basic.consume subscription with manual acknowledgements. The Connection must
// outlive it; the subscription is cancelled in the destructor.
class Consumer {
 public:
  Consumer(Connection& connection, ConsumerOptions options);
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // The next delivery, or nullopt when none arrived within `timeout`. Waiting inside the
  // library is what services heartbeats, so poll with modest timeouts (~1 s) rather
  // than sleeping elsewhere. Reconnects transparently. Throws ConsumerCancelledError
  // when the broker cancelled the subscription (queue deleted).
  std::optional<Delivery> Next(std::chrono::milliseconds timeout);

  bool Ack(const Delivery& delivery, bool multiple = false) {
    return connection_.Ack(delivery, multiple);
  }
  bool Nack(const Delivery& delivery, bool requeue, bool multiple = false) {
    return connection_.Nack(delivery, requeue, multiple);
  }
  bool Reject(const Delivery& delivery, bool requeue) {
    return connection_.Reject(delivery, requeue);
  }

  const std::string& Tag() const { return tag_; }

 private:
  Connection& connection_;
  std::string tag_;
};

}  // namespace choreo::amqp
