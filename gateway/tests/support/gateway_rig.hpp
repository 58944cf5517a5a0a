#pragma once
// What the gateway's integration tests run a gateway in: one vhost for a whole suite (a
// fresh one per test would churn quorum queues), a gateway started on it, and a queue of
// the test's own that receives every order.placed the gateway publishes.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "choreo/amqp/amqp.hpp"
#include "choreo/gateway/gateway.hpp"
#include "choreo/testing/suite_vhost.hpp"
#include "choreo/testing/test_database.hpp"
#include "choreo/testing/testing.hpp"

namespace choreo::gateway::testing {

// What every gateway integration test uses from choreo::testing.
using ::choreo::testing::DbKind;
using ::choreo::testing::TestDatabase;
using ::choreo::testing::VhostPerSuite;
using ::choreo::testing::WaitFor;

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
