#include "choreo/outbox/outbox.hpp"

#include <Poco/Nullable.h>
#include <nlohmann/json.hpp>

#include <stdexcept>

#include "choreo/outbox/properties.hpp"

namespace choreo::outbox {

using Poco::Data::Keywords::into;

void OutgoingMessage::Validate() const {
  if (message_id.empty()) throw std::invalid_argument("outbox message: message_id is required");
  if (exchange.empty()) throw std::invalid_argument("outbox message " + message_id + ": exchange is required");
  if (body.find('\0') != std::string::npos) {
    throw std::invalid_argument("outbox message " + message_id + ": body must not contain NUL bytes");
  }
  if (expiration && expiration->count() < 0) {
    throw std::invalid_argument("outbox message " + message_id + ": expiration must not be negative");
  }
}

void Append(store::Tx& tx, const OutgoingMessage& message) {
  message.Validate();
  // Deferred: nobody reads the result, and a batch's rows then go with its next statement.
  tx.Defer("INSERT INTO choreo_outbox (message_id, exchange, routing_key, properties, body, created_at, "
           "correlation_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
           message.message_id, message.exchange, message.routing_key, detail::EncodeProperties(message),
           message.body, NowMs(),
           message.correlation_id.empty() ? std::optional<std::string>() : std::optional(message.correlation_id));
}

Backlog ReadBacklog(store::Tx& tx) {
  Backlog backlog;
  Poco::Nullable<Poco::Int64> oldest;
  Poco::Int64 pending = 0;
  tx.Run("SELECT COUNT(*), MIN(created_at) FROM choreo_outbox WHERE sent_at IS NULL", into(pending), into(oldest));
  backlog.pending = pending;
  if (!oldest.isNull()) backlog.oldest_pending_age = std::chrono::milliseconds(NowMs() - oldest.value());
  return backlog;
}

OutboxStatus Status(store::Store& store) {
  return store.InTransaction([](store::Tx& tx) {
    OutboxStatus status;
    Poco::Nullable<Poco::Int64> last_sent;
    Poco::Int64 failing = 0;
    const Backlog backlog = ReadBacklog(tx);
    tx.Run("SELECT COUNT(*) FROM choreo_outbox WHERE sent_at IS NULL AND attempts > 0", into(failing));
    tx.Run("SELECT MAX(sent_at) FROM choreo_outbox WHERE sent_at IS NOT NULL", into(last_sent));
    status.pending = backlog.pending;
    status.oldest_pending_age = backlog.oldest_pending_age;
    status.failing = failing;
    if (!last_sent.isNull()) status.last_sent_at_ms = last_sent.value();
    return status;
  });
}

std::size_t DeleteSent(store::Store& store, std::chrono::milliseconds retention) {
  const int64_t cutoff = NowMs() - retention.count();
  return store.InTransaction([cutoff](store::Tx& tx) {
    return tx.Run("DELETE FROM choreo_outbox WHERE sent_at IS NOT NULL AND sent_at <= ?", cutoff);
  });
}

}  // namespace choreo::outbox
