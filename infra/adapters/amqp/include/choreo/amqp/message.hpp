#pragma once
// Messages as published and as delivered. Empty strings mean "property not set": AMQP
// short strings cannot distinguish the two in practice and RabbitMQ treats them alike.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "choreo/amqp/field_table.hpp"

namespace choreo::amqp {

enum class DeliveryMode : uint8_t { kTransient = 1, kPersistent = 2 };

struct Message {
  std::string body;
  std::string message_id;
  std::string content_type;
  std::string content_encoding;
  std::string correlation_id;
  std::string type;
  std::string app_id;
  std::string reply_to;
  std::string expiration;  // per-message TTL in milliseconds, as a decimal string
  std::string user_id;
  std::optional<Timestamp> timestamp;
  std::optional<uint8_t> priority;
  DeliveryMode delivery_mode = DeliveryMode::kPersistent;
  FieldTable headers;
};

struct Delivery {
  Message message;
  uint64_t delivery_tag = 0;
  bool redelivered = false;
  std::string exchange;
  std::string routing_key;
  std::string consumer_tag;  // empty for basic.get
  // Channel generation the delivery arrived on. Acks for a delivery of an older
  // generation are dropped: its tag means nothing on the new channel and the broker
  // redelivers the message anyway.
  uint64_t generation = 0;
  // basic.get only: messages left in the queue after this one.
  std::optional<uint32_t> message_count;
};

// One element of the x-death header that RabbitMQ maintains on dead-lettered messages,
// one per (queue, reason) pair, most recent first.
struct XDeath {
  int64_t count = 0;
  std::string reason;  // rejected | expired | maxlen | delivery_limit
  std::string queue;
  std::string exchange;
  std::vector<std::string> routing_keys;
  std::optional<Timestamp> time;
};

// Parses the x-death header; entries that are not tables are skipped, an absent header
// gives an empty vector.
std::vector<XDeath> ParseXDeath(const FieldTable& headers);

// Total number of times the message was dead-lettered from `queue` for any reason
// (sums the x-death counts). Informative only: choreo counts retry attempts with its own
// x-choreo-attempt header, because RabbitMQ 3.13+ ignores an x-death set by a client
// (docs/failure-model.md, Retries are counted by choreo).
int64_t DeathCount(const FieldTable& headers, const std::string& queue);

}  // namespace choreo::amqp
