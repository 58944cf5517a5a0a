#include "check.hpp"

#include <string>

#include "choreo/amqp/error.hpp"

namespace choreo::amqp::detail {

namespace {

std::string Describe(std::string_view context, std::string_view detail) {
  std::string out(context);
  out += ": ";
  out += detail;
  return out;
}

// connection.close and channel.close carry the same reply code and text.
template <class Closed, class Close>
[[noreturn]] void ThrowClosed(const Close& close, std::string_view context, const char* what) {
  const std::string text = String(close.reply_text);
  throw Closed(Describe(context, std::string(what) + " closed by server: " + std::to_string(close.reply_code) + " " +
                                     text),
               close.reply_code, text);
}

}  // namespace

void CheckStatus(int status, std::string_view context) {
  if (status >= 0) return;
  const std::string what = Describe(context, amqp_error_string2(status));
  switch (status) {
    case AMQP_STATUS_TIMEOUT:
      throw TimeoutError(what, status);
    // Caller mistakes and unsupported setups: retrying cannot help.
    case AMQP_STATUS_NO_MEMORY:
    case AMQP_STATUS_BAD_URL:
    case AMQP_STATUS_INVALID_PARAMETER:
    case AMQP_STATUS_TABLE_TOO_BIG:
    case AMQP_STATUS_SOCKET_INUSE:
    case AMQP_STATUS_UNSUPPORTED:
    case AMQP_STATUS_BROKER_UNSUPPORTED_SASL_METHOD:
    case AMQP_STATUS_INCOMPATIBLE_AMQP_VERSION:
    case AMQP_STATUS_SSL_SET_ENGINE_FAILED:
      throw Error(what);
    // Everything else leaves the connection unusable: socket and TCP errors, closed
    // sockets, missed heartbeats, and protocol desynchronisation (bad data, unexpected
    // frames), after which the frame stream cannot be trusted.
    default:
      throw ConnectionError(what, status);
  }
}

void ThrowClose(const amqp_method_t& method, std::string_view context) {
  if (method.id == AMQP_CONNECTION_CLOSE_METHOD) {
    ThrowClosed<ServerClosedError>(*static_cast<const amqp_connection_close_t*>(method.decoded), context, "connection");
  }
  if (method.id == AMQP_CHANNEL_CLOSE_METHOD) {
    ThrowClosed<ChannelClosedError>(*static_cast<const amqp_channel_close_t*>(method.decoded), context, "channel");
  }
  throw ConnectionError(
      Describe(context, "unexpected method " + std::to_string(method.id) + " from server"),
      AMQP_STATUS_UNEXPECTED_STATE);
}

void CheckReply(const amqp_rpc_reply_t& reply, std::string_view context) {
  switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL:
      return;
    case AMQP_RESPONSE_NONE:
      // rabbitmq-c's way of saying an RPC reply went missing, i.e. the frame stream is
      // no longer in step with the requests.
      throw ConnectionError(Describe(context, "missing RPC reply"), AMQP_STATUS_UNEXPECTED_STATE);
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      CheckStatus(reply.library_error < 0 ? reply.library_error : AMQP_STATUS_UNEXPECTED_STATE,
                  context);
      return;
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      ThrowClose(reply.reply, context);
  }
  throw ConnectionError(Describe(context, "unknown RPC reply type"), AMQP_STATUS_UNEXPECTED_STATE);
}

void ThrowNotConnected(std::string_view context) {
  throw ConnectionError(Describe(context, "not connected (reconnect disabled or exhausted)"),
                        AMQP_STATUS_CONNECTION_CLOSED);
}

}  // namespace choreo::amqp::detail
