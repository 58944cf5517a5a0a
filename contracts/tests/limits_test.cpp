#include <gtest/gtest.h>

#include <string>

#include "choreo/contracts/limits.hpp"
#include "choreo/contracts/validation.hpp"
#include "test_support.hpp"

namespace choreo::contracts {
namespace {

ErrorKind KindOf(std::string_view body, const MessageLimits& limits) {
  try {
    CheckLimits(body, limits);
  } catch (const ContractError& e) {
    return e.Kind();
  }
  return ErrorKind::kNotJson;  // "no error" sentinel: no test expects kNotJson from here
}

std::string Nested(int depth, char open = '[', char close = ']') {
  return std::string(static_cast<std::size_t>(depth), open) + std::string(static_cast<std::size_t>(depth), close);
}

TEST(Limits, DefaultsAreOneMebibyteAndSixtyFourLevels) {
  MessageLimits limits;
  EXPECT_EQ(limits.max_bytes, 1024u * 1024u);
  EXPECT_EQ(limits.max_depth, 64);
  EXPECT_NO_THROW(limits.Validate());
  EXPECT_THROW((MessageLimits{.max_bytes = 0}.Validate()), std::invalid_argument);
  EXPECT_THROW((MessageLimits{.max_depth = 1}.Validate()), std::invalid_argument);
  EXPECT_THROW((MessageLimits{.max_depth = 100000}.Validate()), std::invalid_argument);
}

TEST(Limits, BytesJustUnderAndJustOver) {
  const MessageLimits limits{.max_bytes = 100, .max_depth = 8};
  EXPECT_NO_THROW(CheckLimits(std::string(100, ' '), limits));
  EXPECT_EQ(KindOf(std::string(101, ' '), limits), ErrorKind::kTooLarge);
}

TEST(Limits, DepthJustUnderAndJustOver) {
  const MessageLimits limits{.max_bytes = 1000, .max_depth = 8};
  EXPECT_NO_THROW(CheckLimits(Nested(8), limits));
  EXPECT_EQ(KindOf(Nested(9), limits), ErrorKind::kTooDeep);
  EXPECT_EQ(KindOf(Nested(9, '{', '}'), limits), ErrorKind::kTooDeep);
  // Depth is nesting, not the number of brackets: siblings do not add up.
  std::string siblings = "[";
  for (int i = 0; i < 50; ++i) siblings += Nested(7) + ",";
  siblings += "1]";
  EXPECT_NO_THROW(CheckLimits(siblings, limits));
}

TEST(Limits, BracketsInsideStringsAndEscapesDoNotCount) {
  const MessageLimits limits{.max_bytes = 10000, .max_depth = 4};
  EXPECT_NO_THROW(CheckLimits(R"({"a": ")" + std::string(500, '[') + R"("})", limits));
  // An escaped quote does not end the string, so the brackets after it are still text.
  EXPECT_NO_THROW(CheckLimits(R"({"a": "\"[[[[[[[[[[ \\"})", limits));
  // ... but an escaped backslash does not escape the closing quote.
  EXPECT_EQ(KindOf(R"({"a": "\\", "b": [[[[[[]]]]]]})", limits), ErrorKind::kTooDeep);
}

TEST(Limits, ExtraClosersCannotBuyDepth) {
  const MessageLimits limits{.max_bytes = 10000, .max_depth = 4};
  EXPECT_EQ(KindOf("]]]]]]]]" + Nested(5), limits), ErrorKind::kTooDeep);
}

// The body that crashed workers: a valid envelope with a payload field 400,000 arrays
// deep. It must be refused before any tree is built, with the reason.
TEST(Limits, ParseAndValidateRefusesADeepPayloadUnparsed) {
  nlohmann::json message = testing::Example("order.placed");
  std::string body = message.dump();
  body.pop_back();  // the closing brace of the envelope
  body += R"(,"extra":)" + Nested(400000) + "}";
  try {
    ParseAndValidate(body);
    ADD_FAILURE() << "accepted";
  } catch (const ContractError& e) {
    EXPECT_EQ(e.Kind(), ErrorKind::kTooDeep);
    EXPECT_NE(std::string(e.what()).find("not parsed"), std::string::npos) << e.what();
  }
  // The same envelope within the limits is still read.
  EXPECT_NO_THROW(ParseAndValidate(message.dump()));
}

TEST(Limits, ParseAndValidateRefusesAnOversizedBody) {
  nlohmann::json message = testing::Example("order.placed");
  message["payload"]["padding"] = std::string(2 * 1024 * 1024, 'x');
  try {
    ParseAndValidate(message.dump());
    ADD_FAILURE() << "accepted";
  } catch (const ContractError& e) {
    EXPECT_EQ(e.Kind(), ErrorKind::kTooLarge);
    EXPECT_NE(std::string(e.what()).find("exceeds the limit of 1048576 bytes"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(ParseAndValidate(message.dump(), MessageLimits{.max_bytes = 4 * 1024 * 1024}));
}

// nlohmann reports a number no double can hold as out_of_range, not parse_error; it must
// still be a contract violation (it reached the consumer loop and stalled every worker).
TEST(Limits, ANumberBeyondDoubleIsAContractViolation) {
  nlohmann::json message = testing::Example("order.placed");
  std::string body = message.dump();
  body.pop_back();
  body += R"(,"extra":1e999999})";
  try {
    ParseAndValidate(body);
    ADD_FAILURE() << "accepted";
  } catch (const ContractError& e) {
    EXPECT_EQ(e.Kind(), ErrorKind::kNotJson) << e.what();
  }
}

}  // namespace
}  // namespace choreo::contracts
