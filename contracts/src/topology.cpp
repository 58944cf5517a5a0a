#include "choreo/contracts/topology.hpp"

#include <algorithm>
#include <stdexcept>

#include "choreo/contracts/catalog.hpp"
#include "choreo/contracts/events.hpp"

namespace choreo::contracts::topology {
namespace {

namespace c = components;

// The order flow (docs/architecture.md): every subscriber of every event is named here and
// nowhere else. Where an event is published (its exchange) and by whom comes from its
// schema, through the generated event types. The order worker follows every business event
// of the flow to drive its state machine; it does not consume its own events,
// notification.sent, or inventory's private deadline.
constexpr Subscription kSubscriptions[] = {
    {c::kOrder, OrderPlaced::kType},
    {c::kOrder, InventoryReserved::kType},
    {c::kOrder, InventoryRejected::kType},
    {c::kOrder, InventoryCommitted::kType},
    {c::kOrder, InventoryReleased::kType},
    {c::kOrder, PaymentCaptured::kType},
    {c::kOrder, PaymentDeclined::kType},
    {c::kOrder, PaymentRefunded::kType},
    {c::kOrder, ShipmentScheduled::kType},
    {c::kOrder, ShipmentRejected::kType},

    {c::kInventory, OrderPlaced::kType},
    {c::kInventory, PaymentCaptured::kType},
    {c::kInventory, PaymentDeclined::kType},
    {c::kInventory, ShipmentRejected::kType},
    {c::kInventory, ReservationDeadline::kType, Delivery::kDelayQueue},

    {c::kPayment, InventoryReserved::kType},
    {c::kPayment, InventoryReleased::kType},  // refunds when reason=expired after a capture
    {c::kPayment, ShipmentRejected::kType},

    {c::kShipping, InventoryCommitted::kType},

    {c::kNotification, OrderConfirmed::kType},
    {c::kNotification, OrderCancelled::kType},

    {c::kGateway, OrderStatusChanged::kType},
    {c::kGateway, OrderConfirmed::kType},
    {c::kGateway, OrderCancelled::kType},
};

constexpr std::string_view kWorkers[] = {c::kOrder,    c::kInventory,    c::kPayment,
                                         c::kShipping, c::kNotification, c::kGateway};

// Dead-lettering a message must not lose it: the source keeps it until the target
// confirms, and a full target pushes back instead of dropping.
void SafeDeadLettering(Queue& queue, std::string_view exchange, std::string_view routing_key) {
  queue.arguments["x-dead-letter-exchange"] = std::string(exchange);
  queue.arguments["x-dead-letter-routing-key"] = std::string(routing_key);
  queue.arguments["x-dead-letter-strategy"] = std::string("at-least-once");
  queue.arguments["x-overflow"] = std::string("reject-publish");
}

Queue MakeQueue(std::string name, QueueRole role) {
  Queue queue;
  queue.name = std::move(name);
  queue.role = role;
  queue.arguments["x-queue-type"] = std::string("quorum");
  return queue;
}

std::string_view ExchangeOf(std::string_view event_type) {
  const EventInfo* info = FindEvent(event_type);
  if (info == nullptr) throw std::logic_error("topology names unknown event " + std::string(event_type));
  return info->exchange;
}

WorkerTopology Build(std::string_view worker) {
  WorkerTopology topology;
  topology.worker = std::string(worker);
  topology.work = MakeQueue(std::string(worker), QueueRole::kWork);
  SafeDeadLettering(topology.work, kDeadLetterExchange, DeadLetterQueueName(worker));

  for (const auto& subscription : kSubscriptions) {
    if (subscription.worker != worker) continue;
    const std::string event(subscription.event_type);
    topology.events.push_back(event);
    const std::string exchange(ExchangeOf(event));
    if (subscription.delivery == Delivery::kBinding) {
      topology.work.bindings.push_back({exchange, event});
    } else {
      // No TTL on the queue: the publisher sets a per-message expiration (see
      // ToAmqpProperties). Expiry happens at the head of the queue only, which is right
      // as long as every message of one delay queue waits equally long, as reservation
      // holds do.
      Queue delay = MakeQueue(DelayQueueName(event), QueueRole::kDelay);
      delay.bindings.push_back({exchange, event});
      SafeDeadLettering(delay, "", topology.work.name);
      topology.delays.push_back(std::move(delay));
    }
  }

  for (std::size_t i = 0; i < kRetryDelays.size(); ++i) {
    Queue retry = MakeQueue(RetryQueueName(worker, static_cast<int>(i + 1)), QueueRole::kRetry);
    retry.ttl = kRetryDelays[i];
    retry.arguments["x-message-ttl"] = static_cast<std::int64_t>(kRetryDelays[i].count());
    SafeDeadLettering(retry, "", topology.work.name);
    topology.retries.push_back(std::move(retry));
  }

  topology.dead_letter = MakeQueue(DeadLetterQueueName(worker), QueueRole::kDeadLetter);
  topology.dead_letter.bindings.push_back(
      {std::string(kDeadLetterExchange), topology.dead_letter.name});
  return topology;
}

}  // namespace

std::span<const Exchange> Exchanges() {
  // The exchanges the events name (x-choreo-exchange), in catalog order, and the DLX.
  static const std::vector<Exchange> exchanges = [] {
    std::vector<Exchange> out;
    for (const EventInfo& info : Events()) {
      const bool known = std::any_of(out.begin(), out.end(), [&](const Exchange& e) { return e.name == info.exchange; });
      if (!known) out.push_back({info.exchange, "topic", true});
    }
    out.push_back({kDeadLetterExchange, "direct", true});
    return out;
  }();
  return exchanges;
}

std::span<const Subscription> Subscriptions() { return kSubscriptions; }

std::string_view ToString(QueueRole role) {
  switch (role) {
    case QueueRole::kWork: return "work";
    case QueueRole::kRetry: return "retry";
    case QueueRole::kDeadLetter: return "dead_letter";
    case QueueRole::kDelay: return "delay";
  }
  return "unknown";
}

std::vector<Queue> WorkerTopology::AllQueues() const {
  std::vector<Queue> queues{work};
  queues.insert(queues.end(), retries.begin(), retries.end());
  queues.push_back(dead_letter);
  queues.insert(queues.end(), delays.begin(), delays.end());
  return queues;
}

std::vector<WorkerTopology> Workers() {
  std::vector<WorkerTopology> workers;
  for (std::string_view worker : kWorkers) workers.push_back(Build(worker));
  return workers;
}

WorkerTopology ForWorker(std::string_view worker) {
  if (std::find(std::begin(kWorkers), std::end(kWorkers), worker) == std::end(kWorkers)) {
    throw std::invalid_argument("no topology for component '" + std::string(worker) + "'");
  }
  return Build(worker);
}

std::vector<std::string> SubscribersOf(std::string_view event_type) {
  std::vector<std::string> workers;
  for (const auto& subscription : kSubscriptions) {
    if (subscription.event_type == event_type) workers.emplace_back(subscription.worker);
  }
  return workers;
}

std::string ExactNamesPattern(const std::vector<std::string>& names) {
  std::string pattern = "^(";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) pattern += '|';
    for (char c : names[i]) {
      if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) pattern += '\\';
      pattern += c;
    }
  }
  return pattern + ")$";
}

std::vector<Policy> Policies(std::int64_t work_delivery_limit) {
  if (work_delivery_limit < 1 || work_delivery_limit >= kDeadLetterDeliveryLimit) {
    throw std::invalid_argument("delivery limit must be between 1 and " +
                                std::to_string(kDeadLetterDeliveryLimit - 1) + ", got " +
                                std::to_string(work_delivery_limit));
  }
  std::vector<std::string> work, dead_letter;
  for (const WorkerTopology& worker : Workers()) {
    work.push_back(worker.work.name);
    dead_letter.push_back(worker.dead_letter.name);
  }
  Policy work_policy{.name = "choreo-work-queues",
                     .pattern = ExactNamesPattern(work),
                     .role = QueueRole::kWork,
                     .definition = {{"delivery-limit", work_delivery_limit}},
                     .priority = kPolicyPriority};
  Policy dead_letter_policy{.name = "choreo-dead-letter-queues",
                            .pattern = ExactNamesPattern(dead_letter),
                            .role = QueueRole::kDeadLetter,
                            .definition = {{"delivery-limit", kDeadLetterDeliveryLimit}},
                            .priority = kPolicyPriority};
  return {work_policy, dead_letter_policy};
}

std::string DeadLetterQueueName(std::string_view queue) { return std::string(queue) + ".dlq"; }

std::string RetryQueueName(std::string_view queue, int attempt) {
  if (attempt < 1) throw std::invalid_argument("retry attempts count from 1");
  return std::string(queue) + ".retry." + std::to_string(attempt);
}

std::string DelayQueueName(std::string_view event_type) { return std::string(event_type) + ".delay"; }

}  // namespace choreo::contracts::topology
