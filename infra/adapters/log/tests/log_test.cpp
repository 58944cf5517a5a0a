#include "choreo/log/log.hpp"

#include <gtest/gtest.h>

namespace choreo::log {
namespace {

TEST(Log, FormatsOneJsonObjectWithFields) {
  SetComponent("unit");
  auto line = nlohmann::json::parse(Format(Level::kWarn, "hello", {{"correlation_id", "o-1"}, {"count", 3}}));
  EXPECT_EQ(line["level"], "warn");
  EXPECT_EQ(line["component"], "unit");
  EXPECT_EQ(line["msg"], "hello");
  EXPECT_EQ(line["correlation_id"], "o-1");
  EXPECT_EQ(line["count"], 3);
  EXPECT_EQ(line["ts"].get<std::string>().back(), 'Z');
}

TEST(Log, FieldsCannotOverrideReservedKeys) {
  auto line = nlohmann::json::parse(Format(Level::kInfo, "real", {{"msg", "fake"}}));
  EXPECT_EQ(line["msg"], "real");
}

TEST(Log, InvalidUtf8DoesNotThrow) {
  std::string bad = "\xff\xfe";
  EXPECT_NO_THROW(Format(Level::kInfo, bad, {{"x", bad}}));
}

TEST(Log, ScopedFieldsReachEveryLineOfTheirThreadUntilTheScopeEnds) {
  {
    ScopedFields outer(nlohmann::json{{"trace_id", "t-1"}, {"span_id", "s-1"}});
    {
      ScopedFields inner(nlohmann::json{{"span_id", "s-2"}});
      auto line = nlohmann::json::parse(Format(Level::kInfo, "in", {{"order_id", "o-1"}}));
      EXPECT_EQ(line["trace_id"], "t-1");
      EXPECT_EQ(line["span_id"], "s-2");
      EXPECT_EQ(line["order_id"], "o-1");
      // A line's own field wins over a scope's.
      EXPECT_EQ(nlohmann::json::parse(Format(Level::kInfo, "own", {{"span_id", "mine"}}))["span_id"], "mine");
    }
    EXPECT_EQ(nlohmann::json::parse(Format(Level::kInfo, "out", {}))["span_id"], "s-1");
  }
  EXPECT_FALSE(nlohmann::json::parse(Format(Level::kInfo, "after", {})).contains("trace_id"));
}

TEST(Log, ParseLevel) {
  EXPECT_EQ(ParseLevel("debug"), Level::kDebug);
  EXPECT_THROW(ParseLevel("loud"), std::invalid_argument);
}

}  // namespace
}  // namespace choreo::log
