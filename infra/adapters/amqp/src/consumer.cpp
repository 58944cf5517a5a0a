#include "choreo/amqp/consumer.hpp"

#include <stdexcept>

#include "session.hpp"

namespace choreo::amqp {

void ConsumerOptions::Validate() const {
  if (queue.empty()) throw std::invalid_argument("consumer queue must not be empty");
  // prefetch 0 would mean "unlimited": a slow worker would be handed the whole queue.
  if (prefetch == 0) throw std::invalid_argument("consumer prefetch must be > 0");
  if (consumer_tag.size() > 255) throw std::invalid_argument("consumer tag longer than 255 bytes");
}

Consumer::Consumer(Connection& connection, ConsumerOptions options)
    : connection_(connection), tag_(connection.Impl().AddConsumer(std::move(options))) {}

Consumer::~Consumer() { connection_.Impl().RemoveConsumer(tag_); }

std::optional<Delivery> Consumer::Next(std::chrono::milliseconds timeout) {
  return connection_.Impl().NextDelivery(tag_, timeout);
}

}  // namespace choreo::amqp
