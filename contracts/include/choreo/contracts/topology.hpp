#pragma once
// The messaging topology as data: the single source of truth for which exchanges exist,
// which event goes where and who listens. Workers declare their own part from this at
// start-up (idempotently); the build writes asyncapi.yaml from the same data.
//
// One queue per worker, with one binding per subscribed event, rather than a queue per
// (worker, event): a worker then has one prefetch window and one consumer to size, one
// DLQ to watch, and the events of an order that come from the same exchange reach it in
// publish order instead of racing each other through separate queues.
//
// For a work queue <q>:
//   <q>.dlq      dead letters, bound to kDeadLetterExchange with routing key "<q>.dlq".
//                Permanent failures go here at once, transient ones after the last retry.
//   <q>.retry.N  (N = 1..kRetryDelays.size()) hold a message for kRetryDelays[N-1], then
//                dead-letter it back to <q> through the default exchange. The worker
//                publishes a failed message to the step it has reached and acks the
//                original; the attempt number travels in the x-choreo-attempt header
//                (dead_letter.hpp says why not x-death). The routing key then is the
//                queue name: dispatch on the envelope's type.
// Every queue is a durable quorum queue; those that dead-letter use
// x-dead-letter-strategy=at-least-once with x-overflow=reject-publish so that
// dead-lettering cannot lose a message.
//
// Broker policies (Policies()) add what x-arguments cannot: a queue's arguments are fixed
// when it is first declared (declaring it again with a new one fails with
// PRECONDITION_FAILED), while a policy also reaches queues that already exist.
#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "choreo/contracts/names.hpp"

namespace choreo::contracts::topology {

struct Exchange {
  std::string_view name;
  std::string_view type;  // "topic" or "direct"
  bool durable = true;
};

// Where dead letters go, one binding per DLQ.
inline constexpr std::string_view kDeadLetterExchange = "choreo.dlx";

// The event exchanges (topic; routing key = event type), one per exchange that an event
// schema names (x-choreo-exchange), and the dead-letter exchange (direct).
std::span<const Exchange> Exchanges();

inline constexpr std::array<std::chrono::milliseconds, 4> kRetryDelays{
    std::chrono::milliseconds(1'000), std::chrono::milliseconds(4'000),
    std::chrono::milliseconds(16'000), std::chrono::milliseconds(64'000)};

enum class Delivery {
  kBinding,     // the work queue is bound to the event's exchange
  kDelayQueue,  // a self-addressed message that waits in "<event type>.delay" first
};

struct Subscription {
  std::string_view worker;
  std::string_view event_type;
  Delivery delivery = Delivery::kBinding;
};

// Who consumes what, grouped by worker: the order flow of docs/architecture.md.
std::span<const Subscription> Subscriptions();

using ArgumentValue = std::variant<std::string, std::int64_t>;

struct Binding {
  std::string exchange;
  std::string routing_key;
  bool operator==(const Binding&) const = default;
};

enum class QueueRole { kWork, kRetry, kDeadLetter, kDelay };
std::string_view ToString(QueueRole role);

struct Queue {
  std::string name;
  QueueRole role = QueueRole::kWork;
  std::vector<Binding> bindings;
  // x-arguments for queue.declare (x-queue-type, x-dead-letter-*, x-message-ttl, ...).
  std::map<std::string, ArgumentValue> arguments;
  std::chrono::milliseconds ttl{0};  // retry queues: how long a message waits
};

struct WorkerTopology {
  std::string worker;
  Queue work;
  std::vector<Queue> retries;  // retries[i] holds attempt i + 1
  Queue dead_letter;
  std::vector<Queue> delays;   // delay queues feeding `work`
  std::vector<std::string> events;  // every event type that arrives on `work`

  // work, retries, dead_letter and delays in one list, in declaration order.
  std::vector<Queue> AllQueues() const;
};

// Every consuming component: order, inventory, payment, shipping, notification, gateway.
std::vector<WorkerTopology> Workers();

// Throws std::invalid_argument for a component that consumes nothing.
WorkerTopology ForWorker(std::string_view worker);

// Workers that receive `event_type` (empty if nobody does).
std::vector<std::string> SubscribersOf(std::string_view event_type);

// A RabbitMQ policy (PUT /api/policies/{vhost}/{name}). RabbitMQ applies ONE policy per
// queue, the matching one with the highest priority, so each policy carries every key its
// queues need.
struct Policy {
  std::string name;
  std::string pattern;  // regular expression matching exactly the queues of `role`
  QueueRole role = QueueRole::kWork;
  std::string apply_to = "queues";
  std::map<std::string, ArgumentValue> definition;
  int priority = 0;
};

// Work queues: the crash-loop breaker. A message delivered more than this many times
// without an ack (its consumer crashed, was killed or timed out each time) is dead-
// lettered by the broker to <q>.dlq with x-death reason `delivery_limit`, instead of
// crashing every consumer forever and blocking the queue behind it. The count also grows
// when deliveries come back on purpose (on RabbitMQ < 4.3 every return counts: a worker's
// nack-requeue, a graceful stop or a reconnect returns its whole prefetch window), so it
// must be far above what restarts and short outages produce; RabbitMQ 4.x's own default
// of 20 is too tight for that. 50 crashes stop a crash loop within minutes at restart
// intervals of seconds; a message returned every 5 s (the runtime's longest reconnect
// backoff) lasts about 4 minutes. Configurable: `choreo-admin topology apply
// --delivery-limit N` / CHOREO_DELIVERY_LIMIT.
inline constexpr std::int64_t kDefaultDeliveryLimit = 50;

// Dead-letter queues: no limit that inspection could reach. `choreo-admin dlq show` takes
// messages and returns them, and on RabbitMQ 4.0-4.2 every return counts against a
// quorum queue's delivery limit, which defaults to 20 when nothing sets one; a DLQ has no
// dead-letter target, so its messages would be dropped. -1 ("unlimited") exists on 4.x
// only (3.x refuses negative limits) and, in a policy, makes 4.0 to 4.1.4 rewrite the
// queue's configuration every few seconds (rabbitmq-server#14202), so the limit is the
// largest 32-bit value instead: one definition for every version, 68 years of one
// inspection per second.
inline constexpr std::int64_t kDeadLetterDeliveryLimit = 2'147'483'647;

// Above the 0 of catch-all policies (RabbitMQ's advice for 4.x, cloud defaults), so
// choreo's queues get these instead.
inline constexpr int kPolicyPriority = 10;

// Every policy choreo's queues need, given the work queues' delivery limit (>= 1). Retry
// and delay queues get none: nothing consumes them, so no delivery limit applies.
// Throws std::invalid_argument for a limit out of range.
std::vector<Policy> Policies(std::int64_t work_delivery_limit = kDefaultDeliveryLimit);

// "^(a|b\\.dlq)$": a regular expression matching exactly these names.
std::string ExactNamesPattern(const std::vector<std::string>& names);

std::string DeadLetterQueueName(std::string_view queue);
std::string RetryQueueName(std::string_view queue, int attempt);  // attempt >= 1
std::string DelayQueueName(std::string_view event_type);

}  // namespace choreo::contracts::topology
