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

TEST(Log, ParseLevel) {
  EXPECT_EQ(ParseLevel("debug"), Level::kDebug);
  EXPECT_THROW(ParseLevel("loud"), std::invalid_argument);
}

}  // namespace
}  // namespace choreo::log
