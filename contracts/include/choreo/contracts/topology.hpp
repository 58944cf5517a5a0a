#pragma once
// The messaging topology as data: the single source of truth for which exchanges exist,
// which event goes where and who listens. Workers declare their own part from this at
// start-up (idempotently); asyncapi.yaml describes the same and a test keeps the two
// in step.
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
//                original; the attempt number is read from the x-death header. The
//                routing key then is the queue name: dispatch on the envelope's type.
// Every queue is a durable quorum queue; those that dead-letter use
// x-dead-letter-strategy=at-least-once with x-overflow=reject-publish so that
// dead-lettering cannot lose a message.
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

// The five event exchanges (topic; routing key = event type) and the dead-letter
// exchange (direct).
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

// Who consumes what (DESIGN section 1), grouped by worker.
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

std::string DeadLetterQueueName(std::string_view queue);
std::string RetryQueueName(std::string_view queue, int attempt);  // attempt >= 1
std::string DelayQueueName(std::string_view event_type);

}  // namespace choreo::contracts::topology
