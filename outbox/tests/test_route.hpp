#pragma once
// Where the outbox tests let a relay publish: a topic exchange and a quorum queue of the
// test's own, bound with one routing key.
#include <string>

#include "choreo/amqp/connection.hpp"
#include "choreo/testing/testing.hpp"

namespace choreo::outbox::test {

struct TestRoute {
  std::string exchange;
  std::string queue;
};

inline TestRoute DeclareTestRoute(amqp::Connection& amqp, const std::string& routing_key) {
  TestRoute route{.exchange = testing::UniqueName("ex"), .queue = testing::UniqueName("q")};
  amqp.DeclareExchange({.name = route.exchange, .type = "topic"});
  amqp.DeclareQueue(amqp::QueueSpec::Quorum(route.queue));
  amqp.Bind({.queue = route.queue, .exchange = route.exchange, .routing_key = routing_key});
  return route;
}

}  // namespace choreo::outbox::test
