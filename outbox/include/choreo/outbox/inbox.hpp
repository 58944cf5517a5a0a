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
#include <string_view>

#include "choreo/store/store.hpp"

namespace choreo::outbox {

inline constexpr std::chrono::hours kDefaultInboxRetention{24 * 7};

// Records (consumer, message_id) in `tx`. Returns true when it was new: run the handler
// in the same transaction. Returns false when it was already recorded: skip the handler
// and acknowledge. On PostgreSQL a concurrent transaction recording the same id makes
// this call wait for it and then return false, so two replicas never both apply it.
bool TryRecord(store::Tx& tx, std::string_view consumer, std::string_view message_id);

bool Contains(store::Tx& tx, std::string_view consumer, std::string_view message_id);

// Deletes inbox rows older than `retention`; returns how many.
std::size_t DeleteInboxOlderThan(store::Store& store, std::chrono::milliseconds retention);

}  // namespace choreo::outbox
