// The handler table: registrations are checked against the contracts and the topology.
#include <gtest/gtest.h>

#include <stdexcept>

#include "choreo/contracts/events.hpp"
#include "handler_table.hpp"

namespace choreo::worker::detail {
namespace {

const std::string kCommitted(contracts::InventoryCommitted::kType);

TEST(HandlerTable, FindsWhatWasRegisteredAndNothingElse) {
  HandlerTable table("shipping");
  int called = 0;
  table.Add(kCommitted, [&](Context&) { ++called; }, nullptr);
  const Registered* found = table.Find(kCommitted);
  ASSERT_NE(found, nullptr);
  EXPECT_TRUE(found->handler);
  EXPECT_FALSE(found->effect);
  EXPECT_EQ(table.Find(std::string(contracts::OrderPlaced::kType)), nullptr);
  EXPECT_EQ(table.Topology().work.name, "shipping");
}

TEST(HandlerTable, RefusesAnEventWithoutContract) {
  HandlerTable table("shipping");
  EXPECT_THROW(table.Add("inventory.teleported", [](Context&) {}, nullptr), std::invalid_argument);
}

TEST(HandlerTable, RefusesAnEventTheComponentIsNotSubscribedTo) {
  HandlerTable table("shipping");
  try {
    table.Add(std::string(contracts::OrderPlaced::kType), [](Context&) {}, nullptr);
    FAIL() << "a handler that could never receive its event was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("not subscribed"), std::string::npos) << e.what();
  }
}

TEST(HandlerTable, RefusesAComponentWithoutQueue) {
  EXPECT_THROW(HandlerTable("no-such-component"), std::invalid_argument);
}

}  // namespace
}  // namespace choreo::worker::detail
