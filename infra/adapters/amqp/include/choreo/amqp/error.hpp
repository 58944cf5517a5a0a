#pragma once
// Typed errors of choreo::amqp. rabbitmq-c status codes and server close reasons are
// turned into these in exactly one place (src/check.cpp) so callers can branch on the
// type (retry a ConnectionError, fix the topology on a ChannelClosedError 406) instead of
// parsing messages.
#include <cstdint>
#include <stdexcept>
#include <string>

namespace choreo::amqp {

// AMQP 0-9-1 reply codes the callers of this library care about.
inline constexpr uint16_t kReplySuccess = 200;
inline constexpr uint16_t kReplyNoRoute = 312;  // basic.return of a mandatory publish
inline constexpr uint16_t kReplyConnectionForced = 320;  // broker shutting down
inline constexpr uint16_t kReplyAccessRefused = 403;
inline constexpr uint16_t kReplyNotFound = 404;
inline constexpr uint16_t kReplyResourceLocked = 405;
inline constexpr uint16_t kReplyPreconditionFailed = 406;
inline constexpr uint16_t kReplyNotAllowed = 530;
inline constexpr uint16_t kReplyInternalError = 541;

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  // Whether doing the same thing again on a fresh connection may succeed.
  virtual bool Retryable() const { return false; }
};

// Transport failures: socket errors, connection refused, missed heartbeats, protocol
// garbage. The connection is unusable afterwards; a reconnect may help.
class ConnectionError : public Error {
 public:
  ConnectionError(const std::string& what, int status) : Error(what), status_(status) {}
  bool Retryable() const override { return true; }
  // The rabbitmq-c amqp_status_enum value (negative), 0 when not from rabbitmq-c.
  int Status() const { return status_; }

 private:
  int status_;
};

// A connect, handshake or RPC that did not complete in time. The connection is in an
// unknown state and is dropped, hence a ConnectionError.
class TimeoutError : public ConnectionError {
 public:
  using ConnectionError::ConnectionError;
};

// Base of the two server-initiated closes; both carry the AMQP reply code and text.
class ClosedByServerError : public Error {
 public:
  ClosedByServerError(const std::string& what, uint16_t reply_code, std::string reply_text)
      : Error(what), reply_code_(reply_code), reply_text_(std::move(reply_text)) {}
  uint16_t ReplyCode() const { return reply_code_; }
  const std::string& ReplyText() const { return reply_text_; }

 private:
  uint16_t reply_code_;
  std::string reply_text_;
};

// connection.close from the broker (320 CONNECTION_FORCED on shutdown, 403 on bad
// credentials, 530 NOT_ALLOWED for an unknown vhost...).
class ServerClosedError : public ClosedByServerError {
 public:
  using ClosedByServerError::ClosedByServerError;
  bool Retryable() const override {
    return ReplyCode() == kReplyConnectionForced || ReplyCode() == kReplyInternalError;
  }
};

// channel.close from the broker: the operation was refused (404 NOT_FOUND,
// 406 PRECONDITION_FAILED, 403 ACCESS_REFUSED, 405 RESOURCE_LOCKED). The library has
// already reopened the channel when this reaches the caller; repeating the same request
// fails the same way.
class ChannelClosedError : public ClosedByServerError {
 public:
  using ClosedByServerError::ClosedByServerError;
};

// The broker cancelled a consumer (its queue was deleted). Raised by Consumer::Next once
// the deliveries received before the cancel have been handed out.
class ConsumerCancelledError : public Error {
 public:
  using Error::Error;
};

}  // namespace choreo::amqp
