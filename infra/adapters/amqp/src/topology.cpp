#include "choreo/amqp/topology.hpp"

#include <stdexcept>

namespace choreo::amqp {

namespace {

void CheckName(const std::string& name, const char* what) {
  // AMQP short strings are limited to 255 bytes.
  if (name.size() > 255) throw std::invalid_argument(std::string(what) + " longer than 255 bytes");
}

}  // namespace

void ExchangeSpec::Validate() const {
  if (name.empty()) throw std::invalid_argument("exchange name must not be empty (the default exchange cannot be declared)");
  CheckName(name, "exchange name");
  if (type.empty()) throw std::invalid_argument("exchange type must not be empty");
}

QueueSpec QueueSpec::Quorum(std::string name) {
  QueueSpec spec;
  spec.name = std::move(name);
  spec.queue_type = "quorum";
  return spec;
}

FieldTable QueueSpec::Arguments() const {
  FieldTable args = extra_arguments;
  if (queue_type) args.Set("x-queue-type", *queue_type);
  if (dead_letter_exchange) args.Set("x-dead-letter-exchange", *dead_letter_exchange);
  if (dead_letter_routing_key) args.Set("x-dead-letter-routing-key", *dead_letter_routing_key);
  if (dead_letter_strategy) args.Set("x-dead-letter-strategy", *dead_letter_strategy);
  if (message_ttl) args.Set("x-message-ttl", static_cast<int64_t>(message_ttl->count()));
  if (delivery_limit) args.Set("x-delivery-limit", *delivery_limit);
  if (overflow) args.Set("x-overflow", *overflow);
  if (max_length) args.Set("x-max-length", *max_length);
  return args;
}

void QueueSpec::Validate() const {
  CheckName(name, "queue name");
  if (queue_type && *queue_type == "quorum") {
    // RabbitMQ refuses these with 406 anyway; saying so up front gives a clearer error.
    if (!durable) throw std::invalid_argument("quorum queue " + name + " must be durable");
    if (exclusive || auto_delete) {
      throw std::invalid_argument("quorum queue " + name + " cannot be exclusive or auto-delete");
    }
  }
  if (message_ttl && message_ttl->count() < 0) throw std::invalid_argument("message_ttl must be >= 0");
  if (delivery_limit && *delivery_limit < 0) throw std::invalid_argument("delivery_limit must be >= 0");
  if (max_length && *max_length < 0) throw std::invalid_argument("max_length must be >= 0");
  if (dead_letter_strategy && *dead_letter_strategy != "at-most-once" &&
      *dead_letter_strategy != "at-least-once") {
    throw std::invalid_argument("dead_letter_strategy must be at-most-once or at-least-once");
  }
  if (dead_letter_routing_key && !dead_letter_exchange) {
    throw std::invalid_argument("dead_letter_routing_key needs dead_letter_exchange");
  }
}

void BindingSpec::Validate() const {
  if (queue.empty()) throw std::invalid_argument("binding queue must not be empty");
  if (exchange.empty()) throw std::invalid_argument("cannot bind to the default exchange");
  CheckName(queue, "queue name");
  CheckName(exchange, "exchange name");
  CheckName(routing_key, "routing key");
}

}  // namespace choreo::amqp
