#pragma once
// The single place where rabbitmq-c results become exceptions (see error.hpp).
#include <string_view>

#include "rabbitmq.hpp"

namespace choreo::amqp::detail {

// Throws for status < 0 (amqp_status_enum); `context` names what was being done.
void CheckStatus(int status, std::string_view context);

// Throws for anything but AMQP_RESPONSE_NORMAL: library errors via CheckStatus, a
// server connection.close as ServerClosedError, channel.close as ChannelClosedError.
void CheckReply(const amqp_rpc_reply_t& reply, std::string_view context);

// For a connection.close / channel.close method read from the wire outside an RPC
// (any other method is reported as a protocol error).
[[noreturn]] void ThrowClose(const amqp_method_t& method, std::string_view context);

// The connection is down and may not be re-established (reconnect disabled or gave up).
[[noreturn]] void ThrowNotConnected(std::string_view context);

}  // namespace choreo::amqp::detail
