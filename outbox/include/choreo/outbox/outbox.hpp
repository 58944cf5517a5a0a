#pragma once
// The transactional outbox (producer side of docs/architecture.md, Delivery guarantees):
// a component appends the
// messages it wants to send inside the same store transaction as its business change, so
// both commit or neither does. The Relay (relay.hpp) publishes committed rows later.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "choreo/store/store.hpp"

namespace choreo::outbox {

struct OutgoingMessage {
  // Stable across republishes: the consumer's inbox dedupes on it. Required.
  std::string message_id;
  std::string exchange;  // required
  std::string routing_key;
  std::string body;  // UTF-8 text (JSON envelopes); no NUL bytes
  std::string content_type = "application/json";
  std::string type;            // AMQP `type` property: the event type
  std::string correlation_id;  // the order id
  std::string app_id;          // the producing component
  std::map<std::string, std::string> headers;
  // Per-message TTL; with a queue that dead-letters on expiry this delays a message
  // (reservation deadlines). Unset: the message does not expire.
  std::optional<std::chrono::milliseconds> expiration;

  // Throws std::invalid_argument naming the missing field.
  void Validate() const;
};

// PostgreSQL: the channel every commit that appends outbox rows notifies (from a trigger of
// the table, so every producer does, whatever code appended), with the outbox table's
// schema as payload: components in other schemas of one database have outboxes of their
// own and must not wake each other's relays.
inline constexpr std::string_view kNotifyChannel = "choreo_outbox";

// Creates (or migrates) the outbox and inbox tables in `store`. Idempotent; call at
// start-up of every component that has a store.
void InstallSchema(store::Store& store);

// Appends `message` inside the caller's transaction. Throws std::invalid_argument for an
// invalid message, store::StoreError on a duplicate message id.
void Append(store::Tx& tx, const OutgoingMessage& message);

struct OutboxStatus {
  int64_t pending = 0;
  // Rows that failed at least once (returned as unroutable, nacked, refused) and wait for
  // their next attempt.
  int64_t failing = 0;
  std::optional<std::chrono::milliseconds> oldest_pending_age;
  std::optional<int64_t> last_sent_at_ms;  // Unix epoch milliseconds
};

OutboxStatus Status(store::Store& store);

// The unpublished rows alone, inside the caller's transaction (on the partial index of
// pending rows: as cheap as the backlog is short).
struct Backlog {
  int64_t pending = 0;
  std::optional<std::chrono::milliseconds> oldest_pending_age;
};
Backlog ReadBacklog(store::Tx& tx);

// Deletes rows sent more than `retention` ago; returns how many.
std::size_t DeleteSent(store::Store& store, std::chrono::milliseconds retention);

// Unix epoch milliseconds: every timestamp column of the outbox and inbox uses it, so
// SQLite and PostgreSQL store the same numbers.
int64_t NowMs();

}  // namespace choreo::outbox
