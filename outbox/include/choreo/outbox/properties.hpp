#pragma once
// The AMQP properties of an outbox row travel as one JSON text column, so adding a
// property never needs a migration.
#include <string>

#include "choreo/amqp/message.hpp"
#include "choreo/outbox/outbox.hpp"

namespace choreo::outbox::detail {

std::string EncodeProperties(const OutgoingMessage& message);

// Builds the AMQP message of a row (persistent; message id from the row). Throws
// std::runtime_error when `properties` is not what EncodeProperties writes.
amqp::Message DecodeMessage(const std::string& message_id, const std::string& properties, std::string body);

}  // namespace choreo::outbox::detail
