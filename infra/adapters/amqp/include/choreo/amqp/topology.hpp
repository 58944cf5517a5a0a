#pragma once
// Declarations of exchanges, queues and bindings. A Connection remembers every
// declaration that succeeded and repeats them after a reconnect, so the specs are
// values that can be replayed.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "choreo/amqp/field_table.hpp"

namespace choreo::amqp {

struct ExchangeSpec {
  std::string name;
  std::string type = "topic";  // direct | fanout | topic | headers
  bool durable = true;
  bool auto_delete = false;
  bool internal = false;
  FieldTable arguments;

  void Validate() const;
};

struct QueueSpec {
  std::string name;
  bool durable = true;
  bool exclusive = false;
  bool auto_delete = false;
  // x-queue-type: "quorum", "classic", "stream"
  std::optional<std::string> queue_type;
  std::optional<std::string> dead_letter_exchange;
  std::optional<std::string> dead_letter_routing_key;
  // x-dead-letter-strategy: "at-most-once" | "at-least-once" (quorum queues only, and
  // only together with overflow "reject-publish")
  std::optional<std::string> dead_letter_strategy;
  std::optional<std::chrono::milliseconds> message_ttl;
  std::optional<int64_t> delivery_limit;
  // x-overflow: "drop-head" | "reject-publish" | "reject-publish-dlx"
  std::optional<std::string> overflow;
  std::optional<int64_t> max_length;
  // Anything else; typed fields above win on conflicting keys.
  FieldTable extra_arguments;

  // A durable quorum queue, the default for work queues: replicated, and able to
  // dead-letter at-least-once (docs/architecture.md, Messaging topology).
  static QueueSpec Quorum(std::string name);

  // The x-arguments of queue.declare.
  FieldTable Arguments() const;
  void Validate() const;
};

struct BindingSpec {
  std::string queue;
  std::string exchange;
  std::string routing_key;
  FieldTable arguments;

  void Validate() const;
  friend bool operator==(const BindingSpec&, const BindingSpec&) = default;
};

struct QueueInfo {
  std::string name;
  uint32_t message_count = 0;  // ready messages, unacknowledged ones not included
  uint32_t consumer_count = 0;
};

}  // namespace choreo::amqp
