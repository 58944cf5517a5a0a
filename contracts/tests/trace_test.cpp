#include "choreo/contracts/trace.hpp"

#include <gtest/gtest.h>

#include <set>

#include "choreo/contracts/envelope.hpp"

namespace choreo::contracts {
namespace {

constexpr const char* kValid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(TraceparentTest, ParsesTheSpecificationsExample) {
  const auto context = ParseTraceparent(kValid);
  ASSERT_TRUE(context);
  EXPECT_EQ(context->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(context->span_id, "00f067aa0ba902b7");
  EXPECT_EQ(context->flags, 1);
  EXPECT_EQ(FormatTraceparent(*context), kValid);
}

TEST(TraceparentTest, RefusesWhatTheSpecificationRefuses) {
  const char* invalid[] = {
      "",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",              // short
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",             // upper case
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",             // zero trace id
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",             // zero span id
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",             // forbidden version
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",       // 00 has no extra fields
      "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",             // separator
      "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",             // not hex
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\nX-Evil: 1",  // injection
  };
  for (const char* text : invalid) EXPECT_FALSE(ParseTraceparent(text)) << text;
}

TEST(TraceparentTest, ALaterVersionKeepsItsFirstFourFields) {
  const auto context = ParseTraceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes");
  ASSERT_TRUE(context);
  EXPECT_EQ(context->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
}

TEST(TraceparentTest, AChildKeepsTheTraceAndTheFlagsWithASpanOfItsOwn) {
  const auto parent = ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  const TraceContext child = ChildOf(parent);
  EXPECT_EQ(child.trace_id, parent->trace_id);
  EXPECT_NE(child.span_id, parent->span_id);
  EXPECT_EQ(child.flags, 0);
  EXPECT_TRUE(ParseTraceparent(FormatTraceparent(child)));
}

TEST(TraceparentTest, WithoutAParentANewTraceStarts) {
  std::set<std::string> traces;
  for (int i = 0; i < 100; ++i) {
    const TraceContext fresh = ChildOf(std::nullopt);
    ASSERT_TRUE(ParseTraceparent(FormatTraceparent(fresh))) << FormatTraceparent(fresh);
    traces.insert(fresh.trace_id);
  }
  EXPECT_EQ(traces.size(), 100u);
}

TEST(TraceparentTest, TravelsAsAnAmqpHeaderNotInTheBody) {
  Envelope envelope = MakeEnvelope("order.placed", "o-1", "", "gateway", nlohmann::json::object());
  envelope.traceparent = kValid;
  EXPECT_EQ(ToAmqpProperties(envelope).headers.at(std::string(kTraceparentHeader)), kValid);
  EXPECT_EQ(Serialize(envelope).find("traceparent"), std::string::npos);
  envelope.traceparent.clear();
  EXPECT_EQ(ToAmqpProperties(envelope).headers.count(std::string(kTraceparentHeader)), 0u);
}

}  // namespace
}  // namespace choreo::contracts
