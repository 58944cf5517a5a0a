// BuildTimeline on facts made by hand: matching messages to consumers, the outcomes, and
// the order (time, but causes first).
#include "choreo/admin/timeline.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace choreo::admin {
namespace {

constexpr const char* kTrace = "4bf92f3577b34da6a3ce929d0e0e4736";

outbox::InboxRecord Handled(const std::string& consumer, const std::string& id, const std::string& type,
                            const std::string& producer, int64_t published, int64_t handled, const std::string& span,
                            const std::string& parent_span) {
  outbox::InboxRecord r;
  r.consumer = consumer;
  r.message_id = id;
  r.correlation_id = "o-1";
  r.event_type = type;
  r.producer = producer;
  r.published_at_ms = published;
  r.received_at_ms = handled;
  r.trace_id = kTrace;
  r.span_id = span;
  r.parent_span_id = parent_span;
  return r;
}

const TimelineDelivery* At(const TimelineMessage& m, const std::string& consumer) {
  for (const TimelineDelivery& d : m.deliveries) {
    if (d.consumer == consumer) return &d;
  }
  return nullptr;
}

TimelineFacts ThreeHops() {
  TimelineFacts facts;
  facts.order_id = "o-1";
  facts.produced["gateway"] = {{"m-placed", "order.placed", "gateway",
                                std::string("00-") + kTrace + "-00000000000000a1-01", 1000, 1003, 0, ""}};
  // inventory.reserved claims to be published BEFORE the order.placed that caused it (a
  // clock behind by 50 ms): the timeline must still put its cause first.
  facts.handled["inventory"] = {
      Handled("inventory", "m-placed", "order.placed", "gateway", 1000, 1005, "00000000000000b1", "00000000000000a1")};
  facts.handled["order"] = {
      Handled("order", "m-placed", "order.placed", "gateway", 1000, 1004, "00000000000000c1", "00000000000000a1"),
      Handled("order", "m-reserved", "inventory.reserved", "inventory", 950, 1010, "00000000000000c2",
              "00000000000000b1")};
  facts.handled["payment"] = {};
  return facts;
}

TEST(Timeline, CausesComeBeforeTheirEffectsWhateverTheClocksSay) {
  const Timeline t = BuildTimeline(ThreeHops());
  ASSERT_EQ(t.messages.size(), 2u);
  EXPECT_EQ(t.messages[0].event_type, "order.placed");
  EXPECT_EQ(t.messages[1].event_type, "inventory.reserved");
  EXPECT_EQ(t.trace_ids, std::vector<std::string>{kTrace});
}

TEST(Timeline, EverySubscriberHasAnOutcome) {
  const Timeline t = BuildTimeline(ThreeHops());
  const TimelineMessage& placed = t.messages[0];
  EXPECT_EQ(placed.producer, "gateway");
  ASSERT_TRUE(placed.sent_at_ms);
  EXPECT_EQ(*placed.sent_at_ms, 1003);
  ASSERT_TRUE(At(placed, "inventory"));
  EXPECT_EQ(At(placed, "inventory")->outcome, "handled");
  EXPECT_EQ(At(placed, "inventory")->latency_ms, 5);
  // reserved: order handled it; payment's store was read and has no row: pending.
  const TimelineMessage& reserved = t.messages[1];
  EXPECT_EQ(At(reserved, "order")->outcome, "handled");
  EXPECT_EQ(At(reserved, "order")->latency_ms, 60);
  ASSERT_TRUE(At(reserved, "payment"));
  EXPECT_EQ(At(reserved, "payment")->outcome, "pending");
}

TEST(Timeline, AConsumerWhoseStoreWasNotReadIsUnknownNotPending) {
  TimelineFacts facts = ThreeHops();
  facts.handled.erase("payment");
  const Timeline t = BuildTimeline(facts);
  EXPECT_EQ(At(t.messages[1], "payment")->outcome, "unknown");
}

TEST(Timeline, DeadLettersShowTheirReasonAndAttempts) {
  TimelineFacts facts = ThreeHops();
  DeadLetter letter;
  letter.message_id = "m-reserved";
  letter.event_type = "inventory.reserved";
  letter.correlation_id = "o-1";
  letter.worker = "payment";
  letter.error_class = "transient_exhausted";
  letter.error_message = "provider answered 503";
  letter.attempts = 5;
  letter.message.headers.Set("x-choreo-failed-span-id", amqp::FieldValue(std::string("00000000000000d5")));
  facts.dead_letters.push_back(letter);
  const Timeline t = BuildTimeline(facts);
  const TimelineDelivery* payment = At(t.messages[1], "payment");
  ASSERT_TRUE(payment);
  EXPECT_EQ(payment->outcome, "dead_lettered");
  EXPECT_EQ(payment->retries, 5);
  EXPECT_EQ(payment->error_class, "transient_exhausted");
  EXPECT_EQ(payment->span_id, "00000000000000d5");
  std::ostringstream text;
  WriteTimelineText(text, t);
  EXPECT_NE(text.str().find("transient_exhausted: provider answered 503"), std::string::npos) << text.str();
}

TEST(Timeline, RetriesAndReplaysOfAHandledMessageAreCounted) {
  TimelineFacts facts = ThreeHops();
  outbox::InboxRecord paid = Handled("payment", "m-reserved", "inventory.reserved", "inventory", 950, 9000,
                                     "00000000000000e1", "00000000000000b1");
  paid.attempt = 3;
  paid.replays = 1;
  paid.link_span_id = "00000000000000d5";
  facts.handled["payment"] = {paid};
  const Timeline t = BuildTimeline(facts);
  const TimelineDelivery* payment = At(t.messages[1], "payment");
  EXPECT_EQ(payment->outcome, "handled");
  EXPECT_EQ(payment->retries, 2);
  EXPECT_EQ(payment->replays, 1);
  EXPECT_EQ(payment->link_span_id, "00000000000000d5");
  const nlohmann::json j = TimelineJson(t);
  EXPECT_EQ(j["messages"][1]["deliveries"][1]["consumer"], "payment");
  EXPECT_EQ(j["messages"][1]["deliveries"][1]["retries"], 2);
  EXPECT_EQ(j["messages"][0]["trace_id"], kTrace);
}

TEST(Timeline, TheOrderWorkersStateIsTheStatus) {
  TimelineFacts facts = ThreeHops();
  facts.order = order::facts::OrderRecord{"o-1", "cancelled", std::string("payment_declined"), 1200, 1000, 2000};
  const Timeline t = BuildTimeline(facts);
  EXPECT_EQ(t.status, "cancelled");
  EXPECT_EQ(t.reason, "payment_declined");
}

}  // namespace
}  // namespace choreo::admin
