// Effects: run outside the transaction; the failed ones are set apart, in order.
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>

#include "effect_stage.hpp"

namespace choreo::worker::detail {
namespace {

class EffectStage : public ::testing::Test {
 protected:
  EffectStage() {
    with_effect_.handler = [](Context&) {};
    with_effect_.effect = [](EffectContext&) { return std::any(); };
    without_effect_.handler = [](Context&) {};
  }

  Item Make(const std::string& id, bool effect) {
    Item item{nullptr, {}, effect ? &with_effect_ : &without_effect_, 1};
    item.envelope.message_id = id;
    return item;
  }

  static std::vector<std::string> Ids(const std::vector<Item>& items) {
    std::vector<std::string> ids;
    for (const Item& item : items) ids.push_back(item.envelope.message_id);
    return ids;
  }

  Registered with_effect_;
  Registered without_effect_;
};

TEST_F(EffectStage, CallsOnlyItemsWithAnEffectAndKeepsWhatTheyReturn) {
  std::vector<Item> items{Make("a", true), Make("b", false), Make("c", true)};
  std::atomic<int> calls{0};
  EffectResults results = RunEffects(
      items, 4,
      [&](Item& item) {
        ++calls;
        return std::any(item.envelope.message_id + "-charged");
      },
      [] {});
  EXPECT_EQ(calls.load(), 2);
  EXPECT_TRUE(results.failed.empty());
  EXPECT_TRUE(results.any_succeeded);
  ASSERT_EQ(Ids(items), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(std::any_cast<std::string>(items[0].effect_result), "a-charged");
  EXPECT_FALSE(items[1].effect_result.has_value());
  EXPECT_EQ(std::any_cast<std::string>(items[2].effect_result), "c-charged");
}

TEST_F(EffectStage, FailedEffectsAreSetApartInOrderAndTheRestKeepTheirResults) {
  std::vector<Item> items{Make("a", true), Make("b", true), Make("c", false), Make("d", true)};
  EffectResults results = RunEffects(
      items, 2,
      [](Item& item) -> std::any {
        if (item.envelope.message_id == "b") throw std::runtime_error("provider down for " + item.envelope.message_id);
        return std::any(42);
      },
      [] {});
  EXPECT_EQ(Ids(items), (std::vector<std::string>{"a", "c", "d"}));
  ASSERT_EQ(Ids(results.failed), (std::vector<std::string>{"b"}));
  EXPECT_TRUE(results.failed[0].effect_error);
  EXPECT_EQ(std::any_cast<int>(items[0].effect_result), 42);
  EXPECT_TRUE(results.any_succeeded);
}

TEST_F(EffectStage, WhenEveryEffectFailsNothingCountsAsReached) {
  std::vector<Item> items{Make("a", true), Make("b", true)};
  EffectResults results =
      RunEffects(items, 2, [](Item&) -> std::any { throw std::runtime_error("down"); }, [] {});
  EXPECT_TRUE(items.empty());
  EXPECT_EQ(Ids(results.failed), (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(results.any_succeeded);
}

TEST_F(EffectStage, ItemsWithoutEffectsCostNothing) {
  std::vector<Item> items{Make("a", false)};
  bool called = false;
  EffectResults results = RunEffects(items, 2, [&](Item&) { called = true; return std::any(); }, [] {});
  EXPECT_FALSE(called);
  EXPECT_FALSE(results.any_succeeded);
  EXPECT_EQ(items.size(), 1u);
}

}  // namespace
}  // namespace choreo::worker::detail
