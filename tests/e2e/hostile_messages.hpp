#pragma once
// Hostile messages for the end-to-end suite (hostile_e2e_it): bodies, properties and
// headers that a careless or malicious producer could put on any exchange a worker
// consumes. Every kind must end up in the dead-letter queue of every subscriber, with
// the reason in its headers, and must neither crash nor block a worker.
//
// Pure generation, no I/O: hostile_messages_test checks the boundary kinds (exact sizes
// and depths, valid or invalid apart from the limit) without a broker.
#include <cstddef>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "choreo/amqp/message.hpp"

namespace choreo::e2e::hostile {

// The limits a worker enforces on a delivery before it parses it: the body in bytes, and
// the nesting of the JSON document in levels (the envelope object is level 1, its
// payload object level 2). A body of exactly kMaxBodyBytes bytes, or nested exactly
// kMaxDepth levels deep, is still read; one byte or one level more is dead-lettered
// unread. Keep in step with the runtime's defaults: every boundary kind below derives
// from these two constants.
inline constexpr std::size_t kMaxBodyBytes = 1024 * 1024;
inline constexpr int kMaxDepth = 64;

// RabbitMQ's default frame_max (the clients here negotiate the same): bounds the encoded
// properties and headers of one message.
inline constexpr std::size_t kFrameMax = 131072;

// Nesting of the deep kinds: ~800 KB of brackets, under the byte limit, so only the depth
// limit can refuse them.
inline constexpr int kDeepNesting = 400'000;
inline constexpr std::size_t kHugeStringBytes = 8 * 1024 * 1024;

// An (exchange, routing key) that some work queue is bound to, and the workers (queue
// names) whose work queues receive what is published there.
struct Route {
  std::string exchange;
  std::string routing_key;
  std::vector<std::string> subscribers;
};

// Every binding of every work queue in contracts::topology::Workers(), grouped by
// (exchange, routing key). Delay-queue deliveries are not included: a delay queue only
// forwards messages that carry an expiration.
std::vector<Route> Routes();

struct Hostile {
  amqp::Message message;  // body, properties, headers; message_id is left to the sender
  // True when the message would be valid but for a limit (bytes, depth): only the limit
  // sends it to the dead-letter queue. False: it breaks the contract on its own.
  bool otherwise_valid = false;
  // A substring the dead letter's error message must contain ("" = any reason): the
  // at-the-limit kinds must be refused for their schema error, not for their size.
  std::string expect_in_error;
};

struct Kind {
  std::string name;
  int variants = 1;  // messages per route
  std::function<Hostile(const Route& route, int variant, std::mt19937& rng)> make;
  // The kinds of a megabyte or more go to one route of each exchange only: they are
  // refused before any routing-key-specific code runs, and every route would cost the
  // broker hundreds of megabytes of quorum-queue log for nothing more.
  bool one_route_per_exchange = false;
};

// The routes of `routes` that `kind` is published to.
std::vector<const Route*> RoutesOf(const Kind& kind, const std::vector<Route>& routes);

// The kinds of the suite, cheap ones with more variants than the multi-megabyte ones.
const std::vector<Kind>& Kinds();

// Size of `table` as encoded in an AMQP content header (the choreo client's encoding:
// integers as 64-bit, strings as long strings).
std::size_t EncodedSize(const amqp::FieldTable& table);

// A valid envelope of `type` (its golden example) with a fresh message id and order id.
std::string ValidBody(const std::string& type);

// Hostile messages carry message ids of one fixed length (the header-size kinds count on
// it), with a prefix that tells them apart from the system's own messages.
inline constexpr std::string_view kMessageIdPrefix = "hostile-";
std::string MessageId(std::size_t sequence);

}  // namespace choreo::e2e::hostile
