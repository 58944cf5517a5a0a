#include <gtest/gtest.h>

#include <sstream>
#include <stdexcept>
#include <utility>

#include "choreo/text/percent.hpp"
#include "choreo/text/table.hpp"

namespace choreo::text {
namespace {

TEST(PrintTable, ColumnsAsWideAsTheirWidestCellLastOneUnpadded) {
  std::ostringstream out;
  PrintTable(out, {"queue", "depth", "note"}, {{"order.dlq", "3", "x"}, {"q", "12345", ""}}, {1});
  EXPECT_EQ(out.str(),
            "queue      depth  note\n"
            "order.dlq      3  x\n"
            "q          12345  \n");
}

TEST(PrintTable, ShortRowsAndNoRows) {
  std::ostringstream out;
  PrintTable(out, {"a", "b"}, {{"long cell"}});
  EXPECT_EQ(out.str(), "a          b\nlong cell\n");
  std::ostringstream empty;
  PrintTable(empty, {"only"}, {});
  EXPECT_EQ(empty.str(), "only\n");
}

TEST(Pad, PadsButNeverCuts) {
  EXPECT_EQ(Pad("ab", 4), "ab  ");
  EXPECT_EQ(Pad("abcdef", 4), "abcdef");
}

TEST(PercentDecode, DecodesEscapesOfEitherCase) {
  const std::pair<const char*, const char*> cases[] = {
      {"p%40ss%2fword%2F", "p@ss/word/"}, {"plain+text", "plain+text"}, {"%41%42c", "ABc"}, {"", ""}};
  for (const auto& [encoded, decoded] : cases) EXPECT_EQ(PercentDecode(encoded), decoded) << encoded;
}

TEST(PercentDecode, RejectsTruncatedAndBadEscapes) {
  for (const char* bad : {"%", "ab%4", "%4"}) {
    try {
      PercentDecode(bad);
      ADD_FAILURE() << bad;
    } catch (const std::invalid_argument& e) {
      EXPECT_STREQ(e.what(), "truncated %-escape") << bad;
    }
  }
  try {
    PercentDecode("%zz");
    ADD_FAILURE();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "bad %-escape");
  }
}

}  // namespace
}  // namespace choreo::text
