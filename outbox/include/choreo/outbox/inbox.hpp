#pragma once
// The inbox (consumer side of docs/architecture.md, Delivery guarantees): handling a
// message is one transaction
// that records (consumer, message id) together with the handler's effects. A redelivered
// or republished message finds its row and is acknowledged without effect.
//
// Retention rule: an inbox row must outlive every way the same message id can arrive
// again: broker redelivery, an outbox relay republishing after a crash, the whole retry
// horizon (sum of the retry delays) and the time an operator may take to replay the
// message from a dead-letter queue. The default of 7 days covers a weekend's worth of
// dead letters; never set it below the retry horizon plus one day.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "choreo/store/store.hpp"

namespace choreo::outbox {

inline constexpr std::chrono::hours kDefaultInboxRetention{24 * 7};

// Records (consumer, message_id) in `tx`. Returns true when it was new: run the handler
// in the same transaction. Returns false when it was already recorded: skip the handler
// and acknowledge. On PostgreSQL a concurrent transaction recording the same id makes
// this call wait for it and then return false, so two replicas never both apply it.
bool TryRecord(store::Tx& tx, std::string_view consumer, std::string_view message_id);

// A handled message as the inbox describes it, for an order's timeline (choreo-admin
// trace) without the logs. Empty strings and nullopt where it is not known.
struct InboxRecord {
  std::string consumer;
  std::string message_id;
  std::string correlation_id;  // the order
  std::string event_type;
  std::string producer;
  std::optional<int64_t> published_at_ms;  // the envelope's occurred_at
  int64_t received_at_ms = 0;              // handled (committed) at; set by TryRecord
  int64_t attempt = 1;                     // 1 = handled on its first delivery
  int64_t replays = 0;                     // times an operator replayed it from a DLQ
  std::string trace_id;
  std::string span_id;         // the handling's own span
  std::string parent_span_id;  // the span that sent the message
  std::string link_span_id;    // a replay: the span of the handling that dead-lettered it
};

// TryRecord with the description above (its received_at_ms is ignored: now).
bool TryRecord(store::Tx& tx, const InboxRecord& record);

// Every handled message of `correlation_id` this store's inbox still has, by time handled.
std::vector<InboxRecord> ReadInboxOf(store::Tx& tx, std::string_view correlation_id);

bool Contains(store::Tx& tx, std::string_view consumer, std::string_view message_id);

// Deletes inbox rows older than `retention`; returns how many.
std::size_t DeleteInboxOlderThan(store::Store& store, std::chrono::milliseconds retention);

}  // namespace choreo::outbox
