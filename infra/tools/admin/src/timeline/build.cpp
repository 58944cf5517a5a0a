// BuildTimeline: the facts of one order made into its messages, each with what became of
// it at every consumer, in time order with causes first.
#include <algorithm>
#include <map>
#include <queue>
#include <set>

#include "choreo/admin/timeline.hpp"
#include "choreo/contracts/topology.hpp"
#include "choreo/contracts/trace.hpp"

namespace choreo::admin {

namespace {

// Dead letters carry the work queue they died in; the consumer is its worker.
std::string WorkerOfQueue(const std::string& queue) {
  for (const contracts::topology::WorkerTopology& w : contracts::topology::Workers()) {
    if (w.work.name == queue) return w.worker;
  }
  return queue;
}

TimelineMessage& MessageOf(std::map<std::string, TimelineMessage>& messages, const std::string& id) {
  TimelineMessage& m = messages[id];
  m.message_id = id;
  return m;
}

void Fill(std::string& field, const std::string& value) {
  if (field.empty()) field = value;
}

// The trace and the sending span, from the traceparent the message travelled with.
void FillTrace(TimelineMessage& m, const std::string& traceparent) {
  if (const auto parent = contracts::ParseTraceparent(traceparent)) {
    Fill(m.trace_id, parent->trace_id);
    Fill(m.parent_span_id, parent->span_id);
  }
}

// Consumers in the order the topology lists subscribers, then any other that handled it.
std::vector<TimelineDelivery> Ordered(const std::string& event_type, std::map<std::string, TimelineDelivery> seen,
                                      const std::set<std::string>& read_stores) {
  std::vector<TimelineDelivery> out;
  for (const std::string& consumer : contracts::topology::SubscribersOf(event_type)) {
    auto it = seen.find(consumer);
    if (it != seen.end()) {
      out.push_back(std::move(it->second));
      seen.erase(it);
      continue;
    }
    TimelineDelivery missing;
    missing.consumer = consumer;
    missing.outcome = read_stores.count(consumer) ? "pending" : "unknown";
    out.push_back(std::move(missing));
  }
  for (auto& [consumer, delivery] : seen) out.push_back(std::move(delivery));
  return out;
}

// Time order, except that a message comes after the handling that sent it (its parent
// span is that handling's span): clocks of different processes, and the millisecond
// resolution, could otherwise put an effect before its cause. Kahn's algorithm, taking the
// earliest ready message first.
std::vector<TimelineMessage> CausalOrder(std::map<std::string, TimelineMessage> by_id) {
  std::map<std::string, std::string> message_of_span;
  for (const auto& [id, m] : by_id) {
    for (const TimelineDelivery& d : m.deliveries) {
      if (!d.span_id.empty()) message_of_span[d.span_id] = id;
    }
  }
  std::map<std::string, std::vector<std::string>> children;
  std::map<std::string, int> waiting;  // parents not yet placed (0 or 1)
  for (const auto& [id, m] : by_id) {
    auto parent = message_of_span.find(m.parent_span_id);
    if (m.parent_span_id.empty() || parent == message_of_span.end() || parent->second == id) continue;
    children[parent->second].push_back(id);
    waiting[id] = 1;
  }
  using Key = std::pair<int64_t, std::string>;  // published_at (unknown: last), id
  auto key = [&](const std::string& id) {
    const auto& t = by_id.at(id).published_at_ms;
    return Key{t.value_or(INT64_MAX), id};
  };
  std::priority_queue<Key, std::vector<Key>, std::greater<>> ready;
  for (const auto& [id, m] : by_id) {
    if (!waiting.count(id)) ready.push(key(id));
  }
  std::vector<TimelineMessage> out;
  while (!ready.empty()) {
    const std::string id = ready.top().second;
    ready.pop();
    for (const std::string& child : children[id]) {
      if (--waiting[child] == 0) ready.push(key(child));
    }
    out.push_back(std::move(by_id.at(id)));
  }
  return out;
}

}  // namespace

Timeline BuildTimeline(const TimelineFacts& facts) {
  Timeline timeline;
  timeline.order_id = facts.order_id;
  timeline.problems = facts.problems;
  if (facts.order) {
    timeline.status = facts.order->status;
    timeline.reason = facts.order->reason.value_or("");
  }

  std::map<std::string, TimelineMessage> messages;
  std::map<std::string, std::map<std::string, TimelineDelivery>> deliveries;  // message -> consumer -> delivery
  for (const auto& [component, rows] : facts.produced) {
    for (const outbox::facts::ProducedRow& row : rows) {
      TimelineMessage& m = MessageOf(messages, row.message_id);
      Fill(m.event_type, row.event_type);
      Fill(m.producer, row.producer.empty() ? component : row.producer);
      if (!m.published_at_ms) m.published_at_ms = row.created_at_ms;
      m.sent_at_ms = row.sent_at_ms;
      FillTrace(m, row.traceparent);
    }
  }
  std::set<std::string> read_stores;
  for (const auto& [component, rows] : facts.handled) {
    read_stores.insert(component);
    for (const outbox::InboxRecord& row : rows) {
      TimelineMessage& m = MessageOf(messages, row.message_id);
      Fill(m.event_type, row.event_type);
      Fill(m.producer, row.producer);
      // The envelope's own time beats the outbox row's: both are the producer's clock,
      // but occurred_at is what every consumer saw.
      if (row.published_at_ms) m.published_at_ms = row.published_at_ms;
      Fill(m.trace_id, row.trace_id);
      Fill(m.parent_span_id, row.parent_span_id);
      TimelineDelivery& d = deliveries[row.message_id][row.consumer];
      d.consumer = row.consumer;
      d.outcome = "handled";
      d.handled_at_ms = row.received_at_ms;
      if (row.published_at_ms) d.latency_ms = std::max<int64_t>(0, row.received_at_ms - *row.published_at_ms);
      d.retries = std::max<int64_t>(0, row.attempt - 1);
      d.replays = row.replays;
      d.span_id = row.span_id;
      d.link_span_id = row.link_span_id;
    }
  }
  for (const DeadLetter& letter : facts.dead_letters) {
    TimelineMessage& m = MessageOf(messages, letter.message_id);
    Fill(m.event_type, letter.event_type);
    Fill(m.producer, letter.message.app_id);
    if (!m.published_at_ms && letter.message.timestamp) m.published_at_ms = letter.message.timestamp->time_since_epoch().count() * 1000;
    FillTrace(m, letter.message.headers.GetString(contracts::kTraceparentHeader).value_or(""));
    const std::string consumer = letter.worker.empty() ? WorkerOfQueue(letter.original_queue) : letter.worker;
    TimelineDelivery& d = deliveries[letter.message_id][consumer];
    if (d.outcome == "handled") continue;  // an old copy of a message handled since
    d.consumer = consumer;
    d.outcome = "dead_lettered";
    d.retries = letter.attempts.value_or(1);
    d.replays = letter.replay_count;
    d.error_class = letter.error_class;
    d.error_message = letter.error_message;
    d.span_id = letter.message.headers.GetString(contracts::kFailedSpanHeader).value_or("");
  }
  for (auto& [id, m] : messages) m.deliveries = Ordered(m.event_type, std::move(deliveries[id]), read_stores);
  timeline.messages = CausalOrder(std::move(messages));
  for (const TimelineMessage& m : timeline.messages) {
    if (!m.trace_id.empty() &&
        std::find(timeline.trace_ids.begin(), timeline.trace_ids.end(), m.trace_id) == timeline.trace_ids.end()) {
      timeline.trace_ids.push_back(m.trace_id);
    }
  }
  return timeline;
}

}  // namespace choreo::admin
