#pragma once
// What the gateway's integration tests run a gateway in: one vhost for a whole suite (a
// fresh one per test would churn quorum queues), a gateway started on it, and a queue of
// the test's own that receives every order.placed the gateway publishes.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "choreo/amqp/amqp.hpp"
#include "choreo/gateway/gateway.hpp"
#include "choreo/testing/test_database.hpp"
#include "choreo/testing/testing.hpp"

namespace choreo::gateway::testing {

// What every gateway integration test uses from choreo::testing.
using ::choreo::testing::DbKind;
using ::choreo::testing::TestDatabase;
using ::choreo::testing::WaitFor;

// A gtest fixture base holding the suite's vhost, named after Suite::kVhostPrefix.
template <class Suite>
class VhostPerSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { vhost_ = std::make_unique<::choreo::testing::TestVhost>(Suite::kVhostPrefix); }
  static void TearDownTestSuite() { vhost_.reset(); }

  static inline std::unique_ptr<::choreo::testing::TestVhost> vhost_;
};

// A gateway on `amqp_url` and `store_url`, on an ephemeral port with four HTTP threads,
// started; `tweak` adjusts the options first.
std::unique_ptr<Gateway> StartGateway(const std::string& amqp_url, const std::string& store_url,
                                      const std::function<void(GatewayOptions&)>& tweak = {});

// A consumer on a queue of the test's own, on `connection`, bound to order.placed on the
// orders exchange (declared here if it is not yet).
std::unique_ptr<amqp::Consumer> PlacedConsumer(amqp::Connection& connection);

// Takes (and acks) what `consumer` receives until the order.placed of `order_id` comes;
// nullopt if it does not within `timeout`. Every message taken must be a valid envelope.
std::optional<amqp::Delivery> ReceivePlaced(amqp::Consumer& consumer, const std::string& order_id,
                                            std::chrono::milliseconds timeout);

}  // namespace choreo::gateway::testing
