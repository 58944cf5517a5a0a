// The hostile-message generator without a broker: the suite's exact expectations rest on
// every kind being a contract violation on its own, or valid but for one limit, and on
// the boundary kinds sitting exactly at / one past the limits.
#include "hostile_messages.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "choreo/contracts/error.hpp"
#include "choreo/contracts/limits.hpp"
#include "choreo/contracts/topology.hpp"
#include "choreo/contracts/validation.hpp"

namespace choreo::e2e::hostile {
namespace {

// Whether the workers' limit check finds `text` nested deeper than `levels`: it counts
// brackets outside strings, so the body of a refused message need not parse.
bool DeeperThan(std::string_view text, int levels) {
  try {
    contracts::CheckLimits(text, {.max_bytes = text.size(), .max_depth = levels});
    return false;
  } catch (const contracts::ContractError& e) {
    return e.Kind() == contracts::ErrorKind::kTooDeep;
  }
}

const Kind& KindNamed(const std::string& name) {
  for (const auto& kind : Kinds()) {
    if (kind.name == name) return kind;
  }
  throw std::out_of_range("no kind " + name);
}

TEST(HostileMessages, RoutesAreEveryWorkQueueBinding) {
  std::set<std::pair<std::string, std::string>> covered;
  for (const auto& route : Routes()) {
    EXPECT_FALSE(route.subscribers.empty());
    for (const auto& queue : route.subscribers) covered.insert({queue, route.routing_key});
  }
  std::size_t bindings = 0;
  for (const auto& worker : contracts::topology::Workers()) {
    for (const auto& binding : worker.work.bindings) {
      ++bindings;
      EXPECT_TRUE(covered.count({worker.work.name, binding.routing_key})) << worker.work.name << " " << binding.routing_key;
    }
  }
  EXPECT_EQ(covered.size(), bindings);
}

TEST(HostileMessages, AtLeastFifteenKindsAndAThousandMessages) {
  std::size_t messages = 0;
  const std::vector<Route> routes = Routes();
  std::set<std::string> exchanges;
  for (const auto& route : routes) exchanges.insert(route.exchange);
  for (const auto& kind : Kinds()) {
    const auto targets = RoutesOf(kind, routes);
    std::set<std::string> reached;
    for (const Route* route : targets) reached.insert(route->exchange);
    EXPECT_EQ(reached, exchanges) << kind.name << " misses an exchange";
    messages += static_cast<std::size_t>(kind.variants) * targets.size();
  }
  EXPECT_GE(Kinds().size(), 15u);
  EXPECT_GE(messages, 1000u);
}

// Why `body` is no valid message, "" if it is one. Parses and validates in two steps
// instead of calling contracts::ParseAndValidate: this checks the generator, not the
// runtime's handling (a parser exception other than a parse error, say).
std::string InvalidReason(const std::string& body) {
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(body);
  } catch (const nlohmann::json::exception& e) {
    return std::string("not JSON: ") + e.what();
  }
  const contracts::ValidationResult result = contracts::Validate(document);
  return result.Ok() ? "" : result.ToError().what();
}

// Every message breaks the contract by itself, or is valid but for a limit; the reason
// the at-the-limit kinds must be refused for is the one they are refused for.
TEST(HostileMessages, EachIsInvalidOnItsOwnOrValidButForALimit) {
  std::mt19937 rng(7);
  const std::vector<Route> routes = Routes();
  for (const auto& kind : Kinds()) {
    bool big = false;
    for (const auto& route : routes) {
      // The big ones are built alike for every route: one route is enough, and fast.
      if (big) break;
      for (int v = 0; v < kind.variants; ++v) {
        SCOPED_TRACE(kind.name + " #" + std::to_string(v) + " to " + route.routing_key);
        const Hostile h = kind.make(route, v, rng);
        const std::string& body = h.message.body;
        big = big || body.size() > 64 * 1024;
        const std::string reason = InvalidReason(body);
        if (h.otherwise_valid) {
          EXPECT_EQ(reason, "");
          EXPECT_TRUE(body.size() > kMaxBodyBytes || DeeperThan(body, kMaxDepth)) << "no limit to stop it";
        } else {
          EXPECT_NE(reason, "") << "valid: " << body.substr(0, 200);
          EXPECT_NE(reason.find(h.expect_in_error), std::string::npos) << reason;
        }
      }
    }
  }
}

TEST(HostileMessages, BoundaryKindsSitExactlyAtAndOnePastTheLimits) {
  std::mt19937 rng(7);
  for (const auto& route : Routes()) {
    EXPECT_EQ(KindNamed("bytes_at_limit").make(route, 0, rng).message.body.size(), kMaxBodyBytes);
    EXPECT_EQ(KindNamed("bytes_over_limit").make(route, 0, rng).message.body.size(), kMaxBodyBytes + 1);
    for (int v = 0; v < 2; ++v) {
      // Exactly kMaxDepth levels deep, and exactly one more.
      const std::string at = KindNamed("depth_at_limit").make(route, v, rng).message.body;
      EXPECT_TRUE(DeeperThan(at, kMaxDepth - 1) && !DeeperThan(at, kMaxDepth));
      const std::string over = KindNamed("depth_over_limit").make(route, v, rng).message.body;
      EXPECT_TRUE(DeeperThan(over, kMaxDepth) && !DeeperThan(over, kMaxDepth + 1));
    }
    // Under the byte limit, so that only the depth limit can stop them.
    EXPECT_LT(KindNamed("deep_payload").make(route, 0, rng).message.body.size(), kMaxBodyBytes);
    for (int v = 0; v < 3; ++v) EXPECT_LT(KindNamed("deep_top_level").make(route, v, rng).message.body.size(), kMaxBodyBytes);
  }
}

TEST(HostileMessages, HeaderTablesFitAFrameOnlyWithoutWhatAWorkerAdds) {
  std::mt19937 rng(7);
  for (const auto& route : Routes()) {
    const Hostile h = KindNamed("headers_at_frame_limit").make(route, 0, rng);
    // 14 bytes of content-header prefix, 8 of frame, the other properties and the
    // publisher's sequence header are what AtFrameLimit leaves out.
    const std::size_t table = EncodedSize(h.message.headers);
    EXPECT_GT(table, kFrameMax - 1024);
    EXPECT_LT(table, kFrameMax - 64);
    EXPECT_LT(EncodedSize(KindNamed("headers_100kb").make(route, 0, rng).message.headers), kFrameMax - 16 * 1024);
  }
}

}  // namespace
}  // namespace choreo::e2e::hostile
