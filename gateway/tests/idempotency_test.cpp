#include <gtest/gtest.h>

#include "choreo/gateway/idempotency.hpp"

namespace choreo::gateway {
namespace {

TEST(IdempotencyKey, PrintableAsciiOneTo255) {
  EXPECT_TRUE(IsValidIdempotencyKey("a"));
  EXPECT_TRUE(IsValidIdempotencyKey("order 2024-05-01 #1 ~!"));
  EXPECT_TRUE(IsValidIdempotencyKey(std::string(255, 'k')));
  EXPECT_FALSE(IsValidIdempotencyKey(""));
  EXPECT_FALSE(IsValidIdempotencyKey(std::string(256, 'k')));
  EXPECT_FALSE(IsValidIdempotencyKey("tab\there"));
  EXPECT_FALSE(IsValidIdempotencyKey("caf\xc3\xa9"));
}

TEST(RequestHash, IgnoresKeyOrderAndWhitespaceButNotValues) {
  auto a = nlohmann::json::parse(R"({"b": 1, "a": [1, 2], "c": {"y": "1", "x": null}})");
  auto b = nlohmann::json::parse(R"({ "a":[1,2],"c":{"x":null,"y":"1"},  "b":1 })");
  auto c = nlohmann::json::parse(R"({"b": 2, "a": [1, 2], "c": {"y": "1", "x": null}})");
  auto d = nlohmann::json::parse(R"({"b": 1, "a": [2, 1], "c": {"y": "1", "x": null}})");
  EXPECT_EQ(RequestHash(a), RequestHash(b));
  EXPECT_NE(RequestHash(a), RequestHash(c));
  EXPECT_NE(RequestHash(a), RequestHash(d));
  EXPECT_EQ(RequestHash(a).size(), 64u);
}

TEST(Sha256Hex, KnownVector) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(InFlightKeys, OneHolderPerKeyUntilReleased) {
  InFlightKeys keys;
  {
    auto first = keys.TryAcquire("k1");
    ASSERT_TRUE(first);
    EXPECT_FALSE(keys.TryAcquire("k1"));
    auto other = keys.TryAcquire("k2");
    EXPECT_TRUE(other);
    EXPECT_EQ(keys.Size(), 2u);
    // Moving the lease keeps the key held exactly once.
    std::optional<InFlightKeys::Lease> moved(std::move(*first));
    first.reset();
    EXPECT_FALSE(keys.TryAcquire("k1"));
  }
  EXPECT_EQ(keys.Size(), 0u);
  EXPECT_TRUE(keys.TryAcquire("k1"));
}

}  // namespace
}  // namespace choreo::gateway
