// The pure rules of choreo-bench: the open-loop schedule, when a step is saturated, the SLO
// search, the forwarders' fan-out table against the contracts topology, ack settling.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "ack_tracker.hpp"
#include "choreo/contracts/catalog.hpp"
#include "choreo/contracts/topology.hpp"
#include "curve_logic.hpp"
#include "fanout.hpp"

namespace choreo::bench {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;

TEST(Schedule, OrderIIsDueAtIOverRate) {
  EXPECT_EQ(ScheduledOffset(0, 200), nanoseconds(0));
  EXPECT_EQ(ScheduledOffset(1, 200), milliseconds(5));
  EXPECT_EQ(ScheduledOffset(1000, 200), milliseconds(5000));
  // Fixed by the index alone, never by what came back: no drift over a long step.
  EXPECT_EQ(ScheduledOffset(3, 3), milliseconds(1000));
  EXPECT_EQ(ScheduledOffset(30000, 3000), std::chrono::seconds(10));
  EXPECT_NEAR((ScheduledOffset(29999, 3000) - ScheduledOffset(29998, 3000)).count(), 333'333, 1);
  EXPECT_THROW(ScheduledOffset(1, 0), std::invalid_argument);
}

TEST(Schedule, CountAndConnections) {
  EXPECT_EQ(ScheduledCount(50, 10), 500u);
  EXPECT_EQ(ScheduledCount(0.05, 10), 1u);
  EXPECT_EQ(SenderConnections(10, 0), 8);
  EXPECT_EQ(SenderConnections(300, 0), 30);
  EXPECT_EQ(SenderConnections(5000, 0), 48);  // under the gateway's 64 threads
  EXPECT_EQ(SenderConnections(5000, 12), 12);
}

TEST(Schedule, Fractions) {
  EXPECT_EQ(ParseFractions("0.1,0.25,0.5,0.75,0.9"), (std::vector<double>{0.1, 0.25, 0.5, 0.75, 0.9}));
  EXPECT_THROW(ParseFractions(""), std::invalid_argument);
  EXPECT_THROW(ParseFractions("0.5,0.25"), std::invalid_argument);
  EXPECT_THROW(ParseFractions("0.5,1.5"), std::invalid_argument);
  EXPECT_THROW(ParseFractions("0.5x"), std::invalid_argument);
  EXPECT_THROW(ParseFractions("0"), std::invalid_argument);
}

TEST(Saturation, EveryOrderTerminalAndNinetyPercentAchieved) {
  EXPECT_FALSE(JudgeStep(100, 99, 1000, 1000).saturated);
  EXPECT_FALSE(JudgeStep(100, 90, 1000, 1000).saturated);
  EXPECT_TRUE(JudgeStep(100, 89.9, 1000, 1000).saturated);
  EXPECT_STREQ(JudgeStep(100, 89.9, 1000, 1000).why, "achieved < 90 % of offered");
  // One order not terminal within the grace (or never accepted) saturates the step.
  EXPECT_TRUE(JudgeStep(100, 100, 1000, 999).saturated);
  EXPECT_STREQ(JudgeStep(100, 100, 1000, 999).why, "not all terminal");
}

TEST(Saturation, CompletionRateFollowsTheCompletions) {
  EXPECT_DOUBLE_EQ(CompletionRate({}), 0);
  EXPECT_DOUBLE_EQ(CompletionRate({1.0}), 0);
  std::vector<double> steady;
  for (int i = 0; i < 101; ++i) steady.push_back(0.2 + i * 0.01);  // 100/s, shifted by the latency
  EXPECT_NEAR(CompletionRate(steady), 100, 1e-9);
  std::vector<double> behind = {3.0, 1.0, 2.0};  // any order
  EXPECT_NEAR(CompletionRate(behind), 1, 1e-9);
}

TEST(Slo, HighestPassingRateBelowTheFirstFailure) {
  const double slo = 250;
  std::vector<CurvePoint> points = {{.rate = 50, .p99_ms = 40},
                                    {.rate = 100, .p99_ms = 80},
                                    {.rate = 200, .p99_ms = 300},
                                    {.rate = 300, .p99_ms = 120}};  // lucky: above a failure
  ASSERT_TRUE(SloPoint(points, slo).has_value());
  EXPECT_EQ(SloPoint(points, slo)->rate, 100);
  EXPECT_EQ(RefineRate(points, slo).value_or(-1), 150);

  points.push_back({.rate = 150, .p99_ms = 200});
  EXPECT_EQ(SloPoint(points, slo)->rate, 150);
  EXPECT_EQ(RefineRate(points, slo).value_or(-1), 175);

  // A saturated step fails whatever its p99 says.
  EXPECT_FALSE(MeetsSlo({.rate = 10, .p99_ms = 1, .saturated = true}, slo));
  // p99 exactly at the SLO is not under it.
  EXPECT_FALSE(MeetsSlo({.rate = 10, .p99_ms = 250}, slo));
}

TEST(Slo, NothingPassesOrNothingFails) {
  std::vector<CurvePoint> all_fail = {{.rate = 40, .p99_ms = 900}, {.rate = 80, .saturated = true}};
  EXPECT_FALSE(SloPoint(all_fail, 250).has_value());
  EXPECT_EQ(RefineRate(all_fail, 250).value_or(-1), 20);  // between 0 and the lowest failure
  std::vector<CurvePoint> all_pass = {{.rate = 40, .p99_ms = 90}, {.rate = 80, .p99_ms = 100}};
  EXPECT_EQ(SloPoint(all_pass, 250)->rate, 80);
  EXPECT_FALSE(RefineRate(all_pass, 250).has_value());
  // Close enough: under 5 % of the failing rate apart.
  std::vector<CurvePoint> close = {{.rate = 97, .p99_ms = 90}, {.rate = 100, .p99_ms = 400}};
  EXPECT_FALSE(RefineRate(close, 250).has_value());
}

TEST(Fanout, EveryRuleIsASubscriptionAndEmitsTheWorkersOwnEvents) {
  std::set<std::pair<std::string, std::string>> seen;
  for (const FanoutRule& rule : HappyPathFanout()) {
    const auto subscribers = contracts::topology::SubscribersOf(rule.consumes);
    EXPECT_NE(std::find(subscribers.begin(), subscribers.end(), std::string(rule.worker)), subscribers.end())
        << rule.worker << " does not consume " << rule.consumes;
    EXPECT_TRUE(seen.emplace(rule.worker, rule.consumes).second) << "two rules for " << rule.worker << "/" << rule.consumes;
    for (std::string_view out : rule.emits) {
      const contracts::EventInfo* info = contracts::FindEvent(out);
      ASSERT_NE(info, nullptr) << out;
      EXPECT_EQ(info->producer, rule.worker) << out << " is not published by " << rule.worker;
    }
  }
  EXPECT_EQ(FindRule("order", "payment.refunded"), nullptr);
  ASSERT_NE(FindRule("shipping", "inventory.committed"), nullptr);
}

TEST(Fanout, OneOrderEndsInExactlyOneConfirmation) {
  const FlowCount count = SimulateOrder();
  EXPECT_EQ(count.confirmed, 1);
  // order.placed, 4 order.status_changed, inventory.reserved and its deadline,
  // payment.captured, inventory.committed, shipment.scheduled, order.confirmed,
  // notification.sent: what the real flow publishes per order.
  EXPECT_EQ(count.publishes, 12);
  EXPECT_EQ(count.deliveries, 15);
  EXPECT_EQ(count.delayed, 1);  // the reservation deadline waits in its delay queue
}

TEST(AckTracker, AcksInOrderOnceEveryPublishUpToItIsConfirmed) {
  AckTracker<int> t;
  t.Published(1);
  t.Published(2);
  t.Add(2, 10);  // delivery 10 published 1 and 2
  t.Add(0, 11);  // delivery 11 published nothing, but must wait for 10
  t.Published(3);
  t.Add(3, 12);
  EXPECT_EQ(t.TakeDone().second, 0u);
  t.Settle(2);
  EXPECT_EQ(t.TakeDone().second, 0u);  // 1 is still out
  t.Settle(3);
  EXPECT_EQ(t.TakeDone().second, 0u);  // 12 is done, but 10 before it is not
  t.Settle(1);
  auto [last, n] = t.TakeDone();
  EXPECT_EQ(n, 3u);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(*last, 12);  // one multiple ack covers 10, 11, 12
  EXPECT_TRUE(t.Empty());
}

}  // namespace
}  // namespace choreo::bench
