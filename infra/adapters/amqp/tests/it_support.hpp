#pragma once
// Shared bits of the choreo::amqp integration tests.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "choreo/amqp/amqp.hpp"
#include "choreo/testing/testing.hpp"

namespace choreo::amqp::test {

inline ConnectionOptions OptionsFor(const choreo::testing::TestVhost& vhost, const std::string& name) {
  ConnectionOptions o;
  o.url = vhost.AmqpUrl();
  o.connection_name = name;
  o.reconnect.initial_delay = std::chrono::milliseconds(100);
  o.reconnect.max_delay = std::chrono::milliseconds(1000);
  return o;
}

inline Message TextMessage(const std::string& id, const std::string& body) {
  Message m;
  m.message_id = id;
  m.body = body;
  m.content_type = "text/plain";
  return m;
}

// One fresh vhost per suite: quorum queues are too costly to churn per test.
class VhostSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { vhost_ = std::make_unique<choreo::testing::TestVhost>("amqp"); }
  static void TearDownTestSuite() { vhost_.reset(); }
  static ConnectionOptions Options(const std::string& name) { return OptionsFor(*vhost_, name); }
  static inline std::unique_ptr<choreo::testing::TestVhost> vhost_;
};

}  // namespace choreo::amqp::test
