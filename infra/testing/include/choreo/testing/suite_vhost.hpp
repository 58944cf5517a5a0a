#pragma once
// A gtest fixture base holding one vhost for a whole suite, where a fresh vhost per test
// would churn quorum queues. Header-only, so choreo::testing itself does not link gtest.
//
//   class OutboxTest : public testing::VhostPerSuite<OutboxTest, ::testing::TestWithParam<DbKind>> {
//    public:
//     static constexpr const char* kVhostPrefix = "outbox";
//   };
#include <gtest/gtest.h>

#include <memory>

#include "choreo/testing/testing.hpp"

namespace choreo::testing {

// Suite::kVhostPrefix names the vhost; Base is ::testing::Test or a ::testing::TestWithParam.
template <class Suite, class Base = ::testing::Test>
class VhostPerSuite : public Base {
 protected:
  static void SetUpTestSuite() { vhost_ = std::make_unique<TestVhost>(Suite::kVhostPrefix); }
  static void TearDownTestSuite() { vhost_.reset(); }

  static inline std::unique_ptr<TestVhost> vhost_;
};

}  // namespace choreo::testing
