#include <algorithm>
#include <regex>
#include <set>

#include <gtest/gtest.h>

#include "choreo/contracts/catalog.hpp"
#include "choreo/contracts/events.hpp"
#include "choreo/contracts/topology.hpp"

namespace choreo::contracts::topology {
namespace {

std::set<std::string> Sorted(const std::vector<std::string>& values) { return {values.begin(), values.end()}; }

const std::string& Str(const ArgumentValue& value) { return std::get<std::string>(value); }

TEST(Topology, FiveDurableTopicExchangesAndADeadLetterExchange) {
  std::set<std::string> topics;
  for (const auto& exchange : Exchanges()) {
    EXPECT_TRUE(exchange.durable) << exchange.name;
    if (exchange.type == "topic") topics.emplace(exchange.name);
    if (exchange.name == kDeadLetterExchange) {
      EXPECT_EQ(exchange.type, "direct");
    }
  }
  EXPECT_EQ(topics, (std::set<std::string>{"orders", "inventory", "payments", "shipping", "notifications"}));
  EXPECT_EQ(Exchanges().size(), 6u);
}

TEST(Topology, EveryEventIsPublishedOnATopicExchangeOfItsContext) {
  const std::map<std::string, std::string> exchange_of_prefix = {
      {"order", "orders"}, {"inventory", "inventory"}, {"payment", "payments"},
      {"shipment", "shipping"}, {"notification", "notifications"}};
  for (const auto& info : Events()) {
    const std::string prefix(info.type.substr(0, info.type.find('.')));
    EXPECT_EQ(exchange_of_prefix.at(prefix), info.exchange) << info.type;
  }
}

// x-choreo-producer is free text in a schema: a typo must not go unnoticed.
TEST(Topology, EveryProducerIsAComponentOfTheTopology) {
  for (const auto& info : Events()) {
    EXPECT_NO_THROW(ForWorker(info.producer)) << info.type << " names producer " << info.producer;
  }
}

TEST(Topology, SubscriptionsFollowTheOrderFlow) {
  using V = std::vector<std::string>;
  EXPECT_EQ(Sorted(ForWorker("inventory").events),
            Sorted(V{"order.placed", "payment.captured", "payment.declined", "shipment.rejected",
                     "inventory.reservation_deadline"}));
  EXPECT_EQ(Sorted(ForWorker("payment").events),
            Sorted(V{"inventory.reserved", "shipment.rejected", "inventory.released"}));
  EXPECT_EQ(Sorted(ForWorker("shipping").events), Sorted(V{"inventory.committed"}));
  EXPECT_EQ(Sorted(ForWorker("notification").events), Sorted(V{"order.confirmed", "order.cancelled"}));
  EXPECT_EQ(Sorted(ForWorker("gateway").events),
            Sorted(V{"order.status_changed", "order.confirmed", "order.cancelled"}));
  EXPECT_EQ(Sorted(ForWorker("order").events),
            Sorted(V{"order.placed", "inventory.reserved", "inventory.rejected", "inventory.committed",
                     "inventory.released", "payment.captured", "payment.declined", "payment.refunded",
                     "shipment.scheduled", "shipment.rejected"}));
}

TEST(Topology, EveryEventButTheLastHasAnAudience) {
  for (const auto& info : Events()) {
    if (info.type == NotificationSent::kType) {
      EXPECT_TRUE(SubscribersOf(info.type).empty());  // for audits and future consumers
    } else {
      EXPECT_FALSE(SubscribersOf(info.type).empty()) << info.type;
    }
  }
}

TEST(Topology, WorkQueueIsBoundOncePerEventWithRoutingKeyEqualToType) {
  const WorkerTopology payment = ForWorker("payment");
  EXPECT_EQ(payment.work.name, "payment");
  EXPECT_EQ(payment.work.role, QueueRole::kWork);
  EXPECT_EQ(payment.work.bindings,
            (std::vector<Binding>{{"inventory", "inventory.reserved"}, {"inventory", "inventory.released"},
                                  {"shipping", "shipment.rejected"}}));
}

TEST(Topology, QueuesDeadLetterSafely) {
  for (const auto& worker : Workers()) {
    SCOPED_TRACE(worker.worker);
    const auto& work = worker.work.arguments;
    EXPECT_EQ(Str(work.at("x-queue-type")), "quorum");
    EXPECT_EQ(Str(work.at("x-dead-letter-exchange")), kDeadLetterExchange);
    EXPECT_EQ(Str(work.at("x-dead-letter-routing-key")), worker.worker + ".dlq");
    EXPECT_EQ(Str(work.at("x-dead-letter-strategy")), "at-least-once");
    EXPECT_EQ(Str(work.at("x-overflow")), "reject-publish");

    EXPECT_EQ(worker.dead_letter.name, worker.worker + ".dlq");
    EXPECT_EQ(worker.dead_letter.bindings, (std::vector<Binding>{{"choreo.dlx", worker.worker + ".dlq"}}));
    EXPECT_EQ(Str(worker.dead_letter.arguments.at("x-queue-type")), "quorum");

    ASSERT_EQ(worker.retries.size(), kRetryDelays.size());
    for (std::size_t i = 0; i < worker.retries.size(); ++i) {
      const Queue& retry = worker.retries[i];
      EXPECT_EQ(retry.name, worker.worker + ".retry." + std::to_string(i + 1));
      EXPECT_EQ(retry.ttl, kRetryDelays[i]);
      EXPECT_EQ(std::get<std::int64_t>(retry.arguments.at("x-message-ttl")), kRetryDelays[i].count());
      EXPECT_EQ(Str(retry.arguments.at("x-dead-letter-exchange")), "");
      EXPECT_EQ(Str(retry.arguments.at("x-dead-letter-routing-key")), worker.worker);
      EXPECT_TRUE(retry.bindings.empty());
      if (i > 0) {
        EXPECT_GT(kRetryDelays[i], kRetryDelays[i - 1]);  // backoff grows
      }
    }
  }
}

TEST(Topology, ReservationDeadlineGoesThroughADelayQueueOnly) {
  const WorkerTopology inventory = ForWorker("inventory");
  ASSERT_EQ(inventory.delays.size(), 1u);
  const Queue& delay = inventory.delays.front();
  EXPECT_EQ(delay.name, "inventory.reservation_deadline.delay");
  EXPECT_EQ(delay.role, QueueRole::kDelay);
  EXPECT_EQ(delay.bindings, (std::vector<Binding>{{"inventory", "inventory.reservation_deadline"}}));
  EXPECT_EQ(Str(delay.arguments.at("x-dead-letter-routing-key")), "inventory");
  EXPECT_FALSE(delay.arguments.contains("x-message-ttl"));  // per-message expiration instead
  // Bound to the work queue directly, the deadline would fire at once.
  for (const auto& binding : inventory.work.bindings) {
    EXPECT_NE(binding.routing_key, ReservationDeadline::kType);
  }
}

TEST(Topology, QueueNamesAreUnique) {
  std::set<std::string> names;
  std::size_t count = 0;
  for (const auto& worker : Workers()) {
    for (const auto& queue : worker.AllQueues()) {
      names.insert(queue.name);
      ++count;
    }
  }
  EXPECT_EQ(names.size(), count);
}

// RabbitMQ matches policy patterns with PCRE; these patterns use only what ECMAScript
// regular expressions read the same way (anchors, a group of alternatives, \\.).
bool PolicyMatches(const Policy& policy, const std::string& queue) {
  return std::regex_search(queue, std::regex(policy.pattern, std::regex::ECMAScript));
}

TEST(Topology, PoliciesMatchExactlyTheWorkQueuesAndTheDeadLetterQueues) {
  const std::vector<Policy> policies = Policies();
  ASSERT_EQ(policies.size(), 2u);
  std::set<std::string> names;
  for (const Policy& policy : policies) {
    names.insert(policy.name);
    EXPECT_EQ(policy.apply_to, "queues") << policy.name;
    EXPECT_EQ(policy.priority, kPolicyPriority) << policy.name;
  }
  EXPECT_EQ(names.size(), policies.size());
  for (const auto& worker : Workers()) {
    for (const Queue& queue : worker.AllQueues()) {
      for (const Policy& policy : policies) {
        EXPECT_EQ(PolicyMatches(policy, queue.name), queue.role == policy.role)
            << policy.name << " on " << queue.name;
      }
    }
  }
  // Not a prefix, suffix or look-alike of choreo's names, nor a dot that matches anything.
  for (const char* other : {"orders", "xorder", "order.dlq.old", "orderXdlq", "", "order|payment"}) {
    for (const Policy& policy : policies) {
      EXPECT_FALSE(PolicyMatches(policy, other)) << policy.name << " on " << other;
    }
  }
}

TEST(Topology, WorkQueuesGetTheDeliveryLimitDeadLetterQueuesOneInspectionNeverReaches) {
  const std::vector<Policy> policies = Policies(7);
  for (const Policy& policy : policies) {
    ASSERT_EQ(policy.definition.size(), 1u) << policy.name;
    const auto limit = std::get<std::int64_t>(policy.definition.at("delivery-limit"));
    EXPECT_EQ(limit, policy.role == QueueRole::kWork ? 7 : kDeadLetterDeliveryLimit) << policy.name;
    EXPECT_GT(limit, 0) << "3.x refuses negative limits";
  }
  EXPECT_EQ(std::get<std::int64_t>(Policies().front().definition.at("delivery-limit")), kDefaultDeliveryLimit);
  EXPECT_THROW(Policies(0), std::invalid_argument);
  EXPECT_THROW(Policies(-1), std::invalid_argument);
  EXPECT_THROW(Policies(kDeadLetterDeliveryLimit), std::invalid_argument);
}

TEST(Topology, ExactNamesPatternQuotesRegexCharacters) {
  EXPECT_EQ(ExactNamesPattern({"a", "b.dlq"}), "^(a|b\\.dlq)$");
  EXPECT_EQ(ExactNamesPattern({"x+(y)"}), "^(x\\+\\(y\\))$");
}

TEST(Topology, UnknownWorkerIsRefused) {
  EXPECT_THROW(ForWorker("accounting"), std::invalid_argument);
  EXPECT_THROW(RetryQueueName("payment", 0), std::invalid_argument);
}

}  // namespace
}  // namespace choreo::contracts::topology
