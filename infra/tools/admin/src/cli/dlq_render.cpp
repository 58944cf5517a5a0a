#include "cli/dlq_render.hpp"

#include <iomanip>
#include <ostream>
#include <sstream>

#include "text.hpp"

namespace choreo::admin::cli {

using nlohmann::json;

std::string RenderBody(const std::string& body, bool* is_json) {
  json parsed = json::parse(body, nullptr, false);
  if (!parsed.is_discarded()) {
    *is_json = true;
    return PrettyJson(parsed);
  }
  *is_json = false;
  std::ostringstream out;
  for (unsigned char c : body) {
    if (c == '\n' || c == '\t' || (c >= 0x20 && c != 0x7f)) {
      out << c;
    } else {
      out << "\\x" << std::hex << std::setw(2) << std::setfill('0') << static_cast<int>(c) << std::dec;
    }
  }
  return out.str();
}

namespace {

json HeadersJson(const amqp::FieldTable& table);

json FieldJson(const amqp::FieldValue& value) {
  return std::visit(
      [](const auto& v) -> json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return nullptr;
        } else if constexpr (std::is_same_v<T, amqp::Timestamp>) {
          return contracts::FormatRfc3339(v);
        } else if constexpr (std::is_same_v<T, amqp::FieldArray>) {
          json a = json::array();
          for (const auto& e : v) a.push_back(FieldJson(e));
          return a;
        } else if constexpr (std::is_same_v<T, amqp::FieldTable>) {
          return HeadersJson(v);
        } else {
          return v;
        }
      },
      value.Value());
}

json HeadersJson(const amqp::FieldTable& table) {
  json o = json::object();
  for (const amqp::FieldEntry& e : table.Entries()) o[e.key] = FieldJson(e.value);
  return o;
}

}  // namespace

std::string Destination(const std::string& exchange, const std::string& routing_key) {
  return (exchange.empty() ? "(default exchange)" : exchange) + " / " + routing_key;
}

void PrintLetter(std::ostream& out, std::size_t index, const DeadLetter& l, bool full) {
  out << "[" << index << "] " << Display(l.message_id) << "  " << Display(l.event_type) << "\n";
  auto field = [&](const char* name, const std::string& value) { out << "    " << Pad(name, 16) << value << "\n"; };
  field("correlation id", Display(l.correlation_id));
  field("error class", Display(l.error_class));
  field("error message", Display(l.error_message));
  field("worker", Display(l.worker));
  field("original", l.HasDestination() ? Destination(l.original_exchange, l.original_routing_key) +
                                             (l.destination_source == "x-death" ? "  (from x-death)" : "")
                                       : "unknown (cannot be replayed to its exchange)");
  if (!l.original_queue.empty()) field("original queue", l.original_queue);
  field("attempts", l.attempts ? std::to_string(*l.attempts) : "-");
  std::string at = Display(l.dead_lettered_at);
  if (l.dead_lettered_time) at += "  (" + AgeSince(l.dead_lettered_time) + ")";
  field("dead-lettered", at);
  if (l.replay_count > 0) {
    field("replayed", std::to_string(l.replay_count) + " time" + (l.replay_count == 1 ? "" : "s") + ", last at " +
                          Display(l.last_replayed_at) + " by " + Display(l.last_replayed_by));
  }
  bool is_json = false;
  std::string body = RenderBody(l.message.body, &is_json);
  std::size_t hidden = 0;
  if (!full && body.size() > kBodyPreviewChars) {
    std::size_t cut = body.rfind('\n', kBodyPreviewChars);
    if (cut == std::string::npos || cut < kBodyPreviewChars / 2) cut = kBodyPreviewChars;
    hidden = body.size() - cut;
    body = body.substr(0, cut);
  }
  out << "    body" << (is_json ? "" : " (not JSON)") << "\n";
  std::stringstream lines(body);
  std::string line;
  while (std::getline(lines, line)) out << "      " << line << "\n";
  if (hidden > 0) out << "      ... " << hidden << " more characters (--full shows all)\n";
}

json LetterJson(const DeadLetter& l, bool full) {
  json j = {{"message_id", l.message_id}, {"event_type", l.event_type}, {"correlation_id", l.correlation_id},
            {"error_class", l.error_class}, {"error_message", l.error_message}, {"worker", l.worker},
            {"original_exchange", l.original_exchange}, {"original_routing_key", l.original_routing_key},
            {"original_queue", l.original_queue}, {"destination_source", l.destination_source},
            {"attempts", l.attempts ? json(*l.attempts) : json(nullptr)}, {"dead_lettered_at", l.dead_lettered_at},
            {"replay_count", l.replay_count}, {"last_replayed_at", l.last_replayed_at},
            {"last_replayed_by", l.last_replayed_by}};
  if (!l.broker_reason.empty()) {
    j["broker_reason"] = l.broker_reason;
    if (l.broker_reason == "delivery_limit") {
      j["delivery_limit"] = l.delivery_limit ? json(*l.delivery_limit) : json(nullptr);
    }
  }
  j["headers"] = HeadersJson(l.message.headers);
  json body = json::parse(l.message.body, nullptr, false);
  if (!body.is_discarded()) {
    j["body"] = body;
  } else {
    std::string text = l.message.body;
    if (!full && text.size() > kBodyPreviewChars) text = text.substr(0, kBodyPreviewChars);
    j["body_text"] = text;
  }
  return j;
}

json QueueJson(const QueueSummary& q) {
  return {{"queue", q.name}, {"messages", q.messages},
          {"oldest_age_seconds", q.oldest_age ? json(q.oldest_age->count() / 1000) : json(nullptr)},
          {"oldest_dead_lettered_at", q.oldest_dead_lettered_at}};
}

json GroupJson(const ErrorGroup& g) {
  return {{"error_class", g.error_class}, {"error_message", g.error_message}, {"count", g.count},
          {"event_types", g.event_types}, {"workers", g.workers},
          {"first_dead_lettered_at", g.first_dead_lettered_at},
          {"last_dead_lettered_at", g.last_dead_lettered_at},
          {"example_message_id", g.example_message_id}};
}

json OutcomeJson(const MessageOutcome& o) {
  json j = {{"message_id", o.message_id}, {"event_type", o.event_type}, {"error_class", o.error_class},
            {"action", ToString(o.action)}};
  if (!o.exchange.empty() || !o.routing_key.empty()) {
    j["exchange"] = o.exchange;
    j["routing_key"] = o.routing_key;
  }
  if (!o.reason.empty()) j["reason"] = o.reason;
  return j;
}

void AddPassJson(json& j, const PassSummary& pass) {
  j.update({{"queue", pass.queue}, {"dry_run", pass.dry_run}, {"depth", pass.depth}, {"examined", pass.examined},
            {pass.dry_run ? pass.would_key : pass.done_key, pass.done}, {"filter", pass.filter}});
  if (!pass.error.empty()) j["error"] = pass.error;
  j["messages"] = json::array();
  if (pass.messages != nullptr) {
    for (const MessageOutcome& o : *pass.messages) j["messages"].push_back(OutcomeJson(o));
  }
}

json ReplayJson(const ReplayReport& report, const std::string& filter) {
  json j = {{"skipped", report.skipped}, {"failed", report.failed}, {"late_acks", report.late_acks},
            {"reconnects", report.reconnects}, {"elapsed_ms", report.elapsed.count()}};
  AddPassJson(j, {report.queue, report.dry_run, report.depth, report.examined, "replayed", "would_replay",
                  report.replayed, filter, report.error, &report.messages});
  return j;
}

}  // namespace choreo::admin::cli
