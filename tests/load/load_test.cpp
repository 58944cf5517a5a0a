#include "load.hpp"

#include <gtest/gtest.h>

#include <map>

namespace choreo::load {
namespace {

TEST(ParseMix, ReadsKindsAndWeights) {
  auto mix = ParseMix("ok=80, decline=5,flaky=5,slow=2,insufficient=3,rejected_destination=3,duplicate=2,rare=0");
  ASSERT_EQ(mix.size(), 7u);  // rare=0 is dropped
  EXPECT_EQ(mix[0].kind, Kind::kOk);
  EXPECT_EQ(mix[0].weight, 80);
  EXPECT_EQ(mix[6].kind, Kind::kDuplicate);
  EXPECT_EQ(FormatMix(mix), "ok=80,decline=5,flaky=5,slow=2,insufficient=3,rejected_destination=3,duplicate=2");
}

TEST(ParseMix, RefusesMistakes) {
  for (const char* bad : {"ok=1,bogus=2", "ok", "ok=-1", "ok=1x", "ok=1,ok=2", "ok=0", "duplicate=3"}) {
    EXPECT_THROW(ParseMix(bad), std::invalid_argument) << bad;
  }
}

TEST(PickKind, FollowsTheWeights) {
  auto mix = ParseMix("ok=3,decline=1");
  std::mt19937_64 rng(7);
  std::map<Kind, int> counts;
  for (int i = 0; i < 40000; ++i) counts[PickKind(mix, rng)]++;
  EXPECT_NEAR(counts[Kind::kOk] / 40000.0, 0.75, 0.02);
  EXPECT_NEAR(counts[Kind::kDecline] / 40000.0, 0.25, 0.02);
}

TEST(OrderBody, EachKindSendsWhatTriggersIt) {
  std::mt19937_64 rng(1);
  auto ok = OrderBody(Kind::kOk, rng, 1);
  EXPECT_EQ(ok["payment"]["token"], "tok_ok");
  EXPECT_NE(ok["shipping_address"]["country"], "AQ");
  EXPECT_FALSE(ok.contains("total_minor"));
  EXPECT_EQ(OrderBody(Kind::kDecline, rng, 2)["payment"]["token"], "tok_decline");
  EXPECT_EQ(OrderBody(Kind::kFlaky, rng, 3)["payment"]["token"], "tok_flaky");
  EXPECT_EQ(OrderBody(Kind::kSlow, rng, 4)["payment"]["token"], "tok_slow");
  auto insufficient = OrderBody(Kind::kInsufficient, rng, 5);
  ASSERT_EQ(insufficient["lines"].size(), 2u);
  EXPECT_EQ(insufficient["lines"][1]["sku"], "sku-out");
  EXPECT_EQ(OrderBody(Kind::kRejectedDestination, rng, 6)["shipping_address"]["country"], "AQ");
  EXPECT_EQ(OrderBody(Kind::kRare, rng, 7)["lines"][0]["sku"], "sku-rare");
  EXPECT_THROW(OrderBody(Kind::kDuplicate, rng, 8), std::invalid_argument);
}

TEST(OrderBody, SameSeedSameBody) {
  std::mt19937_64 a(42), b(42);
  EXPECT_EQ(OrderBody(Kind::kOk, a, 9), OrderBody(Kind::kOk, b, 9));
}

TEST(Expected, OutcomesPerKind) {
  EXPECT_TRUE(IsExpected(Kind::kOk, "CONFIRMED"));
  EXPECT_FALSE(IsExpected(Kind::kOk, "CANCELLED:payment_declined"));
  EXPECT_TRUE(IsExpected(Kind::kDecline, "CANCELLED:payment_declined"));
  EXPECT_TRUE(IsExpected(Kind::kRejectedDestination, "CANCELLED:shipment_rejected"));
  EXPECT_TRUE(IsExpected(Kind::kRare, "CONFIRMED"));
  EXPECT_TRUE(IsExpected(Kind::kRare, "CANCELLED:insufficient_stock"));
}

TEST(Summarize, NearestRankPercentiles) {
  std::vector<double> v;
  for (int i = 100; i >= 1; --i) v.push_back(i);
  auto s = Summarize(v);
  EXPECT_EQ(s.count, 100u);
  EXPECT_DOUBLE_EQ(s.p50, 50);
  EXPECT_DOUBLE_EQ(s.p90, 90);
  EXPECT_DOUBLE_EQ(s.p99, 99);
  EXPECT_DOUBLE_EQ(s.max, 100);
  EXPECT_DOUBLE_EQ(s.mean, 50.5);
  EXPECT_EQ(Summarize({}).count, 0u);
  EXPECT_DOUBLE_EQ(Summarize({7}).p99, 7);
}

TEST(ParseTargets, CommaSeparatedGatewaysEachLoopbackOnly) {
  auto targets = ParseTargets("http://127.0.0.1:18080, http://localhost:18081/");
  ASSERT_EQ(targets.size(), 2u);
  EXPECT_EQ(targets[0].port, 18080);
  EXPECT_EQ(targets[1].host, "127.0.0.1");
  EXPECT_EQ(targets[1].port, 18081);
  EXPECT_EQ(ParseTargets("http://127.0.0.1:1").size(), 1u);
  EXPECT_THROW(ParseTargets(""), std::invalid_argument);
  EXPECT_THROW(ParseTargets("http://127.0.0.1:1,,http://127.0.0.1:2"), std::invalid_argument);
  EXPECT_THROW(ParseTargets("http://127.0.0.1:1,http://example.com:2"), std::invalid_argument);
  std::string many;
  for (int i = 0; i < 65; ++i) many += (i ? "," : "") + std::string("http://127.0.0.1:1");
  EXPECT_THROW(ParseTargets(many), std::invalid_argument);
}

TEST(ParseTarget, LoopbackOnly) {
  auto t = ParseTarget("http://127.0.0.1:18080");
  EXPECT_EQ(t.host, "127.0.0.1");
  EXPECT_EQ(t.port, 18080);
  EXPECT_EQ(ParseTarget("http://localhost:8080/").host, "127.0.0.1");
  EXPECT_EQ(ParseTarget("http://127.0.0.1").port, 80);
  for (const char* refused : {"http://example.com:8080", "http://10.0.0.1:8080", "https://127.0.0.1:8080",
                               "http://127.0.0.1:0", "http://127.0.0.1:8080/orders"}) {
    EXPECT_THROW(ParseTarget(refused), std::invalid_argument) << refused;
  }
}

}  // namespace
}  // namespace choreo::load
