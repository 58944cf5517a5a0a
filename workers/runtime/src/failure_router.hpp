#pragma once
// Moves a message whose handling failed to where the policy sends it (a retry queue or the
// dead-letter queue), with the headers that say why. The caller settles the original on
// the consuming connection only after this returns true.
//
// It publishes on a connection of its own, apart from the consuming one: RabbitMQ blocks
// every connection that publishes while a memory or disk alarm is on, and a blocked
// consuming connection could not ack either, so one alarm would freeze the worker's whole
// queue. Publishing here also keeps an encoding failure (foreign headers that do not fit
// a frame any more) from taking the consuming connection down with it.
#include <chrono>
#include <memory>
#include <string>

#include "choreo/amqp/connection.hpp"
#include "choreo/amqp/message.hpp"
#include "choreo/amqp/options.hpp"
#include "choreo/amqp/publisher.hpp"
#include "choreo/worker/policy.hpp"

namespace choreo::worker::detail {

struct FailureRouterOptions {
  amqp::ConnectionOptions amqp;
  std::string worker;      // x-choreo-worker
  std::string work_queue;  // x-choreo-original-queue; its retry queues and DLQ
  std::chrono::milliseconds confirm_timeout{30000};
};

// Text fit for a header and a log line: at most `max` bytes, cut on a character boundary,
// invalid UTF-8 and control characters (other than tab/newline) replaced by '?'. Error
// texts quote message content (a parser's "last read" token), which may be anything.
std::string SafeText(std::string_view text, std::size_t max);

class FailureRouter {
 public:
  explicit FailureRouter(FailureRouterOptions options);
  ~FailureRouter();  // drops its publisher and connection; never throws
  FailureRouter(const FailureRouter&) = delete;
  FailureRouter& operator=(const FailureRouter&) = delete;

  // Publishes the copy of `delivery` that `decision` calls for and waits for the broker's
  // confirm. When the copy cannot be published as it is (its foreign headers do not
  // re-encode, or the broker refuses it), a copy with a minimal header set (choreo's own
  // headers and the original's message id, type and properties) is tried once more, so a
  // dead letter always arrives with its reason. Returns false when neither was confirmed
  // (the broker is unreachable): the caller returns the original to its queue. Throws
  // nothing.
  // `failed_span`: the span of the handling that failed (contracts::kFailedSpanHeader).
  bool Route(const amqp::Delivery& delivery, const Decision& decision, const std::string& error, int attempt,
             const std::string& failed_span = "");

  // Services heartbeats on the idle publishing connection (see amqp::Connection::Service).
  void Service() noexcept;

 private:
  amqp::Message Copy(const amqp::Delivery& delivery, const Decision& decision, const std::string& error,
                     int attempt, const std::string& failed_span, bool minimal) const;
  bool PublishConfirmed(const std::string& exchange, const std::string& routing_key, const amqp::Message& copy,
                        std::string* why) noexcept;

  FailureRouterOptions options_;
  std::unique_ptr<amqp::Connection> connection_;
  std::unique_ptr<amqp::Publisher> publisher_;
};

}  // namespace choreo::worker::detail
