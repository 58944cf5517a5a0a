// A delivery's handling as a span: what the headers give, and what a hostile or missing
// header gives instead.
#include "handling.hpp"

#include <gtest/gtest.h>

#include "choreo/contracts/dead_letter.hpp"

namespace choreo::worker::detail {
namespace {

constexpr const char* kParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

amqp::Message WithHeaders(std::initializer_list<std::pair<std::string, amqp::FieldValue>> headers) {
  amqp::Message m;
  for (const auto& [k, v] : headers) m.headers.Set(k, v);
  return m;
}

TEST(Handling, IsAChildOfTheSpanThatSentTheMessage) {
  const Handling h = HandlingOf(WithHeaders({{"traceparent", amqp::FieldValue(std::string(kParent))}}));
  EXPECT_EQ(h.span.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(h.parent_span_id, "00f067aa0ba902b7");
  EXPECT_NE(h.span.span_id, h.parent_span_id);
  // What it emits is sent as this handling's span.
  EXPECT_EQ(contracts::ParseTraceparent(h.Traceparent())->span_id, h.span.span_id);
}

TEST(Handling, AMissingOrHostileTraceparentStartsANewTrace) {
  for (const amqp::Message& m :
       {WithHeaders({}), WithHeaders({{"traceparent", amqp::FieldValue(std::string("00-zz-\n-01"))}}),
        WithHeaders({{"traceparent", amqp::FieldValue(int64_t{7})}})}) {
    const Handling h = HandlingOf(m);
    EXPECT_TRUE(contracts::ParseTraceparent(h.Traceparent()));
    EXPECT_TRUE(h.parent_span_id.empty());
  }
}

TEST(Handling, ReplaysAndTheFailedSpanComeFromTheHeadersWhenWellFormed) {
  const Handling h = HandlingOf(WithHeaders({{std::string(contracts::dead_letter::kReplayCount), amqp::FieldValue(int64_t{2})},
                                             {std::string(contracts::kFailedSpanHeader),
                                              amqp::FieldValue(std::string("00000000000000d5"))}}));
  EXPECT_EQ(h.replays, 2);
  EXPECT_EQ(h.link_span_id, "00000000000000d5");
  const Handling forged = HandlingOf(WithHeaders({{std::string(contracts::dead_letter::kReplayCount), amqp::FieldValue(int64_t{-5})},
                                                  {std::string(contracts::kFailedSpanHeader),
                                                   amqp::FieldValue(std::string("'; DROP TABLE x; --"))}}));
  EXPECT_EQ(forged.replays, 0);
  EXPECT_TRUE(forged.link_span_id.empty());
}

TEST(Handling, LogLinesOfTheHandlingCarryItsTrace) {
  const Handling h = HandlingOf(WithHeaders({{"traceparent", amqp::FieldValue(std::string(kParent))}}));
  const log::ScopedFields scope = LogScope(h, nullptr);
  const auto line = nlohmann::json::parse(log::Format(log::Level::kInfo, "handler says", {}));
  EXPECT_EQ(line["trace_id"], h.span.trace_id);
  EXPECT_EQ(line["span_id"], h.span.span_id);
  EXPECT_EQ(line["parent_span_id"], "00f067aa0ba902b7");
}

}  // namespace
}  // namespace choreo::worker::detail
