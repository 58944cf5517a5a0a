#include "failure_router.hpp"

#include <exception>

#include "choreo/contracts/dead_letter.hpp"
#include "choreo/contracts/time.hpp"
#include "choreo/contracts/topology.hpp"
#include "choreo/contracts/trace.hpp"
#include "choreo/log/log.hpp"

namespace choreo::worker::detail {

namespace dl = contracts::dead_letter;
namespace topo = contracts::topology;

namespace {

// Length of the UTF-8 sequence starting at text[i], or 0 if it is not a valid one
// (overlong forms and surrogates included).
std::size_t Utf8Length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned min = 0;
  unsigned code = 0;
  if ((c & 0xE0) == 0xC0) {
    n = 2, min = 0x80, code = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3, min = 0x800, code = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4, min = 0x10000, code = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(i + k) & 0x3F);
  }
  if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  return n;
}

}  // namespace

std::string SafeText(std::string_view text, std::size_t max) {
  std::string out;
  out.reserve(std::min(text.size(), max));
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = Utf8Length(text, i);
    if (n == 0) {
      if (out.size() + 1 > max) break;
      out += '?';
      ++i;
      continue;
    }
    if (out.size() + n > max) break;
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (n == 1 && (c < 0x20 || c == 0x7F) && c != '\t' && c != '\n') {
      out += '?';
    } else {
      out.append(text.substr(i, n));
    }
    i += n;
  }
  return out;
}

FailureRouter::FailureRouter(FailureRouterOptions options) : options_(std::move(options)) {}

FailureRouter::~FailureRouter() {
  try {
    publisher_.reset();
    connection_.reset();
  } catch (...) {
  }
}

void FailureRouter::Service() noexcept {
  if (connection_) connection_->Service();
}

amqp::Message FailureRouter::Copy(const amqp::Delivery& delivery, const Decision& decision, const std::string& error,
                                  int attempt, const std::string& failed_span, bool minimal) const {
  amqp::Message copy = delivery.message;
  if (minimal) {
    // Only what choreo itself needs to replay and explain the message (and its trace); the
    // original exchange and routing key come from the delivery when they are not in the
    // headers.
    amqp::FieldTable kept;
    if (const auto traceparent = delivery.message.headers.GetString(contracts::kTraceparentHeader);
        traceparent && contracts::ParseTraceparent(*traceparent)) {
      kept.Set(std::string(contracts::kTraceparentHeader), amqp::FieldValue(*traceparent));
    }
    if (delivery.exchange.empty()) {
      for (std::string_view key : {dl::kOriginalExchange, dl::kOriginalRoutingKey}) {
        if (const amqp::FieldValue* v = delivery.message.headers.Find(key); v && v->As<std::string>()) {
          kept.Set(std::string(key), *v);
        }
      }
    }
    copy.headers = std::move(kept);
    copy.headers.Set("x-choreo-headers-dropped",
                     amqp::FieldValue("the original headers could not be re-encoded or were refused"));
  }
  copy.headers.Erase(amqp::kPublishSeqHeader);
  // A per-message TTL (a reservation deadline has one; so may anything a foreign producer
  // sends) would let the copy expire in the DLQ, which dead-letters nowhere: the message
  // would be gone. Retry queues have a TTL of their own. The broker strips it the same way
  // when it dead-letters a message itself.
  copy.expiration.clear();
  // The first failure records where the message came from; later copies (retries arrive
  // back through the default exchange) keep it. A message that arrived through an event
  // exchange is a first delivery whatever its headers claim: an origin a publisher forged
  // would send a replay wherever it chose.
  if (!delivery.exchange.empty() || !copy.headers.Find(dl::kOriginalExchange)) {
    copy.headers.Set(std::string(dl::kOriginalExchange), amqp::FieldValue(delivery.exchange));
    copy.headers.Set(std::string(dl::kOriginalRoutingKey), amqp::FieldValue(delivery.routing_key));
  }
  copy.headers.Set(std::string(dl::kOriginalQueue), amqp::FieldValue(options_.work_queue));
  copy.headers.Set(std::string(dl::kWorker), amqp::FieldValue(options_.worker));
  copy.headers.Set(std::string(dl::kErrorMessage), amqp::FieldValue(SafeText(error, 1000)));
  copy.headers.Set(std::string(dl::kAttempts), amqp::FieldValue(static_cast<int64_t>(attempt)));
  if (contracts::IsSpanId(failed_span)) {
    copy.headers.Set(std::string(contracts::kFailedSpanHeader), amqp::FieldValue(failed_span));
  }
  if (decision.action == Decision::Action::kRetry) {
    copy.headers.Set(std::string(dl::kAttempt), amqp::FieldValue(static_cast<int64_t>(attempt) + 1));
  } else {
    copy.headers.Erase(dl::kAttempt);
    copy.headers.Set(std::string(dl::kErrorClass), amqp::FieldValue(decision.error_class));
    copy.headers.Set(std::string(dl::kDeadLetteredAt), amqp::FieldValue(contracts::NowRfc3339()));
  }
  return copy;
}

bool FailureRouter::PublishConfirmed(const std::string& exchange, const std::string& routing_key,
                                     const amqp::Message& copy, std::string* why) noexcept {
  try {
    if (!connection_) {
      connection_ = std::make_unique<amqp::Connection>(options_.amqp);
      publisher_ = std::make_unique<amqp::Publisher>(*connection_, amqp::PublisherOptions{.window = 64});
    }
    const uint64_t seq = publisher_->Publish(exchange, routing_key, copy);
    for (const amqp::PublishResult& r : publisher_->WaitForConfirms(options_.confirm_timeout)) {
      if (r.seq != seq) continue;
      if (r.outcome == amqp::PublishOutcome::kConfirmed) return true;
      *why = std::string(amqp::ToString(r.outcome)) + (r.reply_text.empty() ? "" : ": " + r.reply_text);
      return false;
    }
    *why = "no confirm within " + std::to_string(options_.confirm_timeout.count()) + " ms";
  } catch (const std::exception& e) {
    *why = e.what();
  } catch (...) {
    *why = "non-standard exception";
  }
  // Start the next attempt on a fresh connection: the old one may be half-written.
  try {
    publisher_.reset();
    connection_.reset();
  } catch (...) {
  }
  return false;
}

bool FailureRouter::Route(const amqp::Delivery& delivery, const Decision& decision, const std::string& error,
                          int attempt, const std::string& failed_span) {
  std::string exchange, routing_key;
  if (decision.action == Decision::Action::kRetry) {
    exchange = "";  // default exchange: routing key = queue name
    routing_key = topo::RetryQueueName(options_.work_queue, decision.retry_step);
  } else {
    exchange = std::string(topo::kDeadLetterExchange);
    routing_key = topo::DeadLetterQueueName(options_.work_queue);
  }
  std::string why;
  try {
    const amqp::Message full = Copy(delivery, decision, error, attempt, failed_span, false);
    if (PublishConfirmed(exchange, routing_key, full, &why)) return true;
    // Once more as it is, on a fresh connection: the first try may have met a connection
    // the broker had already dropped.
    if (PublishConfirmed(exchange, routing_key, full, &why)) return true;
    log::Warn("failed message could not be moved with its headers; trying a minimal header set",
              {{"worker", options_.worker}, {"message_id", SafeText(delivery.message.message_id, 200)},
               {"to", routing_key}, {"error", SafeText(why, 500)}});
    if (PublishConfirmed(exchange, routing_key, Copy(delivery, decision, error, attempt, failed_span, true), &why)) return true;
  } catch (const std::exception& e) {
    why = e.what();  // building the copy (allocation): treated like an unreachable broker
  }
  log::Error("failed message could not be moved; it stays in its queue",
             {{"worker", options_.worker}, {"message_id", SafeText(delivery.message.message_id, 200)},
              {"to", routing_key}, {"error", SafeText(why, 500)}});
  return false;
}

}  // namespace choreo::worker::detail
