#include "commit_stage.hpp"

#include <algorithm>

#include "choreo/contracts/time.hpp"
#include "choreo/log/log.hpp"
#include "choreo/outbox/inbox.hpp"
#include "choreo/store/locks.hpp"
#include "choreo/worker/context.hpp"

namespace choreo::worker::detail {

namespace {

std::optional<int64_t> EpochMs(const std::string& rfc3339) {
  const auto time = contracts::ParseRfc3339(rfc3339);
  if (!time) return std::nullopt;
  return time->time_since_epoch().count();
}

}  // namespace

bool CommitStage::HandleIn(store::Tx& tx, const contracts::Envelope& envelope, const Registered& registered,
                           int attempt, const Handling& handling, const std::any& effect_result) const {
  const log::ScopedFields scope = LogScope(handling, &envelope);
  outbox::InboxRecord record;
  record.consumer = consumer_;
  record.message_id = envelope.message_id;
  record.correlation_id = envelope.correlation_id;
  record.event_type = envelope.type;
  record.producer = envelope.producer;
  record.published_at_ms = EpochMs(envelope.occurred_at);
  record.attempt = attempt;
  record.replays = handling.replays;
  record.trace_id = handling.span.trace_id;
  record.span_id = handling.span.span_id;
  record.parent_span_id = handling.parent_span_id;
  record.link_span_id = handling.link_span_id;
  if (!outbox::TryRecord(tx, record)) return false;
  Context ctx(envelope, tx, consumer_, attempt, registered.effect ? &effect_result : nullptr, handling.Traceparent());
  registered.handler(ctx);
  return true;
}

void CommitStage::Begin(store::Tx& tx) const {
  if (!transaction_lock_.empty()) store::LockUntilEnd(tx, transaction_lock_);
}

bool CommitStage::Commit(std::vector<Item>& items) const {
  // Sorted indices, not sorted items: the caller acknowledges the deliveries in its order.
  std::vector<std::size_t> order(items.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&items](std::size_t a, std::size_t b) {
    return items[a].envelope.correlation_id < items[b].envelope.correlation_id;
  });
  store_.InTransaction([&](store::Tx& tx) {
    Begin(tx);
    for (const std::size_t i : order) {
      Item& item = items[i];
      item.duplicate = !HandleIn(tx, item.envelope, *item.registered, item.attempt, item.handling, item.effect_result);
    }
  });
  return std::any_of(items.begin(), items.end(), [](const Item& i) { return !i.duplicate; });
}

bool CommitStage::CommitOne(const contracts::Envelope& envelope, const Registered& registered, int attempt,
                            const Handling& handling, const std::any& effect_result) const {
  return store_.InTransaction([&](store::Tx& tx) {
    Begin(tx);
    return HandleIn(tx, envelope, registered, attempt, handling, effect_result);
  });
}

}  // namespace choreo::worker::detail
