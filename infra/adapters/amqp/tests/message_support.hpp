#pragma once
// A message with every basic property set, and the check that what came back carries them
// all: for the round trip through the codec (field_table_test, no I/O) and through the
// broker (consumer_it).
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <utility>

#include "choreo/amqp/message.hpp"

namespace choreo::amqp::test {

inline Message WithEveryProperty(std::string id, std::string body) {
  Message m;
  m.body = std::move(body);
  m.message_id = std::move(id);
  m.content_type = "application/json";
  m.correlation_id = "corr-9";
  m.type = "order.created";
  m.app_id = "orders";
  m.reply_to = "replies";
  m.expiration = "600000";
  m.timestamp = Timestamp(std::chrono::seconds(1700000000));
  m.priority = 3;
  return m;
}

// The properties WithEveryProperty sets; the headers are each test's own.
inline void ExpectSameProperties(const Message& got, const Message& sent) {
  EXPECT_EQ(got.body, sent.body);
  EXPECT_EQ(got.message_id, sent.message_id);
  EXPECT_EQ(got.content_type, sent.content_type);
  EXPECT_EQ(got.correlation_id, sent.correlation_id);
  EXPECT_EQ(got.type, sent.type);
  EXPECT_EQ(got.app_id, sent.app_id);
  EXPECT_EQ(got.reply_to, sent.reply_to);
  EXPECT_EQ(got.expiration, sent.expiration);
  EXPECT_EQ(got.timestamp, sent.timestamp);
  EXPECT_EQ(got.priority, sent.priority);
  EXPECT_EQ(got.delivery_mode, sent.delivery_mode);
}

}  // namespace choreo::amqp::test
