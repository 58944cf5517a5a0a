#include "choreo/outbox/inbox.hpp"

#include <string>

#include "choreo/outbox/outbox.hpp"

namespace choreo::outbox {

using Poco::Data::Keywords::into;

bool TryRecord(store::Tx& tx, std::string_view consumer, std::string_view message_id) {
  // One statement instead of "look, then insert": on PostgreSQL the unique index makes a
  // concurrent recorder of the same id wait for the first transaction, then see the
  // conflict, so the check and the record cannot race.
  return tx.Run("INSERT INTO choreo_inbox (consumer, message_id, received_at) VALUES (?, ?, ?) "
                "ON CONFLICT (consumer, message_id) DO NOTHING",
                consumer, message_id, NowMs()) == 1;
}

namespace {

std::optional<std::string> NullIfEmpty(const std::string& text) {
  return text.empty() ? std::nullopt : std::optional<std::string>(text);
}

}  // namespace

bool TryRecord(store::Tx& tx, const InboxRecord& r) {
  return tx.Run("INSERT INTO choreo_inbox (consumer, message_id, received_at, correlation_id, event_type, producer, "
                "published_at, attempt, replays, trace_id, span_id, parent_span_id, link_span_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (consumer, message_id) DO NOTHING",
                r.consumer, r.message_id, NowMs(), NullIfEmpty(r.correlation_id), NullIfEmpty(r.event_type),
                NullIfEmpty(r.producer), r.published_at_ms, r.attempt, r.replays, NullIfEmpty(r.trace_id),
                NullIfEmpty(r.span_id), NullIfEmpty(r.parent_span_id), NullIfEmpty(r.link_span_id)) == 1;
}

std::vector<InboxRecord> ReadInboxOf(store::Tx& tx, std::string_view correlation_id) {
  using S = std::vector<std::optional<std::string>>;
  using I = std::vector<std::optional<Poco::Int64>>;
  std::vector<std::string> consumer, message_id;
  std::vector<Poco::Int64> received;
  S type, producer, trace, span, parent, link;
  I published, attempt, replays;
  tx.Run("SELECT consumer, message_id, received_at, event_type, producer, published_at, attempt, replays, "
         "trace_id, span_id, parent_span_id, link_span_id FROM choreo_inbox WHERE correlation_id = ? "
         "ORDER BY received_at, consumer",
         into(consumer), into(message_id), into(received), into(type), into(producer), into(published),
         into(attempt), into(replays), into(trace), into(span), into(parent), into(link), correlation_id);
  std::vector<InboxRecord> out;
  out.reserve(consumer.size());
  for (std::size_t i = 0; i < consumer.size(); ++i) {
    InboxRecord r;
    r.consumer = consumer[i];
    r.message_id = message_id[i];
    r.correlation_id = std::string(correlation_id);
    r.event_type = type[i].value_or("");
    r.producer = producer[i].value_or("");
    if (published[i]) r.published_at_ms = *published[i];
    r.received_at_ms = received[i];
    r.attempt = attempt[i].value_or(1);
    r.replays = replays[i].value_or(0);
    r.trace_id = trace[i].value_or("");
    r.span_id = span[i].value_or("");
    r.parent_span_id = parent[i].value_or("");
    r.link_span_id = link[i].value_or("");
    out.push_back(std::move(r));
  }
  return out;
}

bool Contains(store::Tx& tx, std::string_view consumer, std::string_view message_id) {
  Poco::Int64 n = 0;
  tx.Run("SELECT COUNT(*) FROM choreo_inbox WHERE consumer = ? AND message_id = ?", into(n), consumer, message_id);
  return n > 0;
}

std::size_t DeleteInboxOlderThan(store::Store& store, std::chrono::milliseconds retention) {
  const int64_t cutoff = NowMs() - retention.count();
  return store.InTransaction(
      [cutoff](store::Tx& tx) { return tx.Run("DELETE FROM choreo_inbox WHERE received_at < ?", cutoff); });
}

}  // namespace choreo::outbox
