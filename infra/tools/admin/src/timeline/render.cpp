// An order's timeline as JSON (trace --json, the console's API) and as a table.
#include <ostream>

#include "choreo/admin/timeline.hpp"
#include "choreo/contracts/time.hpp"
#include "text.hpp"

namespace choreo::admin {

namespace {

using nlohmann::json;

json Time(const std::optional<int64_t>& ms) {
  if (!ms) return nullptr;
  return contracts::FormatRfc3339(contracts::Millis(std::chrono::milliseconds(*ms)));
}

json OrNull(const std::optional<int64_t>& value) { return value ? json(*value) : json(nullptr); }

json OrNull(const std::string& text) { return text.empty() ? json(nullptr) : json(text); }

// "+1234 ms" after `start`, or "-".
std::string After(const std::optional<int64_t>& at, const std::optional<int64_t>& start) {
  if (!at || !start) return "-";
  return "+" + std::to_string(*at - *start) + " ms";
}

std::string Notes(const TimelineDelivery& d) {
  std::string notes;
  auto add = [&](const std::string& note) { notes += (notes.empty() ? "" : ", ") + note; };
  if (d.retries > 0) add(std::to_string(d.retries) + (d.retries == 1 ? " retry" : " retries"));
  if (d.replays > 0) add("replayed " + std::to_string(d.replays) + "x");
  if (!d.error_class.empty()) add(d.error_class + ": " + Cut(d.error_message, 60));
  return notes;
}

}  // namespace

json TimelineJson(const Timeline& timeline) {
  json messages = json::array();
  for (const TimelineMessage& m : timeline.messages) {
    json deliveries = json::array();
    for (const TimelineDelivery& d : m.deliveries) {
      deliveries.push_back({{"consumer", d.consumer},
                            {"outcome", d.outcome},
                            {"handled_at", Time(d.handled_at_ms)},
                            {"latency_ms", OrNull(d.latency_ms)},
                            {"retries", d.retries},
                            {"replays", d.replays},
                            {"span_id", OrNull(d.span_id)},
                            {"link_span_id", OrNull(d.link_span_id)},
                            {"error_class", OrNull(d.error_class)},
                            {"error_message", OrNull(d.error_message)}});
    }
    messages.push_back({{"message_id", m.message_id},
                        {"type", m.event_type},
                        {"producer", m.producer},
                        {"published_at", Time(m.published_at_ms)},
                        {"sent_at", Time(m.sent_at_ms)},
                        {"trace_id", OrNull(m.trace_id)},
                        {"parent_span_id", OrNull(m.parent_span_id)},
                        {"deliveries", std::move(deliveries)}});
  }
  return {{"order_id", timeline.order_id},
          {"status", OrNull(timeline.status)},
          {"reason", OrNull(timeline.reason)},
          {"trace_ids", timeline.trace_ids},
          {"messages", std::move(messages)},
          {"problems", timeline.problems}};
}

TimelineTable TimelineRows(const Timeline& timeline) {
  TimelineTable table;
  table.header = {"published", "event", "producer", "consumer", "outcome", "handled", "latency", "notes"};
  for (const TimelineMessage& m : timeline.messages) {
    if (m.published_at_ms && (!table.start_ms || *m.published_at_ms < *table.start_ms)) {
      table.start_ms = m.published_at_ms;
    }
  }
  const auto& start = table.start_ms;
  for (const TimelineMessage& m : timeline.messages) {
    bool first = true;
    for (const TimelineDelivery& d : m.deliveries) {
      table.rows.push_back({first ? After(m.published_at_ms, start) : "", first ? m.event_type : "",
                            first ? Display(m.producer) : "", d.consumer, d.outcome, After(d.handled_at_ms, start),
                            d.latency_ms ? std::to_string(*d.latency_ms) + " ms" : "-", Notes(d)});
      first = false;
    }
    if (first) {  // nobody subscribes (or the event type is unknown)
      table.rows.push_back({After(m.published_at_ms, start), m.event_type, Display(m.producer), "-", "-", "-", "-", ""});
    }
  }
  return table;
}

std::string FormatTimelineTime(int64_t ms) { return Time(ms).get<std::string>(); }

void WriteTimelineText(std::ostream& out, const Timeline& timeline) {
  out << "order " << timeline.order_id << "  "
      << (timeline.status.empty() ? std::string("(unknown to the order worker)") : timeline.status)
      << (timeline.reason.empty() ? "" : " (" + timeline.reason + ")") << "\n";
  for (const std::string& trace : timeline.trace_ids) out << "trace " << trace << "\n";
  const TimelineTable table = TimelineRows(timeline);
  if (table.start_ms) out << "start " << FormatTimelineTime(*table.start_ms) << "\n";
  out << "\n";
  PrintTable(out, table.header, table.rows, {0, 5, 6});
  if (timeline.messages.empty()) out << "(no message of this order in any store read)\n";
  for (const std::string& problem : timeline.problems) out << "problem: " << problem << "\n";
}

}  // namespace choreo::admin
