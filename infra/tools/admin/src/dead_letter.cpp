// Reading what the runtime wrote on a dead letter, filters, durations, the replay copy.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdlib>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "choreo/admin/admin.hpp"
#include "choreo/amqp/publisher.hpp"
#include "choreo/contracts/dead_letter.hpp"

namespace choreo::admin {

namespace dl = contracts::dead_letter;

namespace {

std::string HeaderString(const amqp::FieldTable& headers, std::string_view key) {
  const amqp::FieldValue* value = headers.Find(key);
  if (value == nullptr) return "";
  if (const auto* s = value->As<std::string>()) return *s;
  if (const auto* i = value->As<int64_t>()) return std::to_string(*i);
  if (const auto* b = value->As<bool>()) return *b ? "true" : "false";
  if (const auto* d = value->As<double>()) {
    std::ostringstream out;
    out << *d;
    return out.str();
  }
  if (const auto* t = value->As<amqp::Timestamp>()) return contracts::FormatRfc3339(*t);
  return "";
}

std::optional<int64_t> HeaderInt(const amqp::FieldTable& headers, std::string_view key) {
  const amqp::FieldValue* value = headers.Find(key);
  if (value == nullptr) return std::nullopt;
  if (const auto* i = value->As<int64_t>()) return *i;
  if (const auto* s = value->As<std::string>()) {
    // Tolerate a runtime that wrote the number as text.
    char* end = nullptr;
    long long parsed = std::strtoll(s->c_str(), &end, 10);
    if (!s->empty() && end != nullptr && *end == '\0') return parsed;
  }
  return std::nullopt;
}

std::string JsonString(const nlohmann::json& body, const char* key) {
  if (!body.is_object()) return "";
  auto it = body.find(key);
  if (it == body.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

}  // namespace

DeadLetter Describe(const amqp::Message& message) {
  DeadLetter l;
  l.message = message;
  const amqp::FieldTable& h = message.headers;
  nlohmann::json body = nlohmann::json::parse(message.body, nullptr, /*allow_exceptions=*/false);

  l.message_id = !message.message_id.empty() ? message.message_id : JsonString(body, "message_id");
  l.event_type = !message.type.empty() ? message.type : JsonString(body, "type");
  l.correlation_id =
      !message.correlation_id.empty() ? message.correlation_id : JsonString(body, "correlation_id");
  l.error_class = HeaderString(h, dl::kErrorClass);
  l.error_message = HeaderString(h, dl::kErrorMessage);
  l.worker = HeaderString(h, dl::kWorker);
  l.attempts = HeaderInt(h, dl::kAttempts);
  l.replay_count = HeaderInt(h, dl::kReplayCount).value_or(0);
  l.last_replayed_at = HeaderString(h, dl::kReplayedAt);
  l.last_replayed_by = HeaderString(h, dl::kReplayedBy);
  l.original_queue = HeaderString(h, dl::kOriginalQueue);

  const std::vector<amqp::XDeath> deaths = amqp::ParseXDeath(h);
  if (h.Find(dl::kOriginalExchange) != nullptr && h.Find(dl::kOriginalRoutingKey) != nullptr) {
    // An empty exchange is legitimate: the default exchange (retry queues route that way).
    l.original_exchange = HeaderString(h, dl::kOriginalExchange);
    l.original_routing_key = HeaderString(h, dl::kOriginalRoutingKey);
    l.destination_source = "headers";
  } else if (!deaths.empty()) {
    // Dead-lettered by the broker itself: the first death says where it was published.
    const std::string first_queue = HeaderString(h, "x-first-death-queue");
    const amqp::XDeath* first = &deaths.back();  // x-death is most recent first
    for (const amqp::XDeath& d : deaths) {
      if (!first_queue.empty() && d.queue == first_queue) first = &d;
    }
    l.original_exchange = h.Find("x-first-death-exchange") != nullptr
                              ? HeaderString(h, "x-first-death-exchange")
                              : first->exchange;
    if (!first->routing_keys.empty()) {
      l.original_routing_key = first->routing_keys.front();
      l.destination_source = "x-death";
    }
    if (l.original_queue.empty()) l.original_queue = first->queue;
  }

  l.dead_lettered_at = HeaderString(h, dl::kDeadLetteredAt);
  if (!l.dead_lettered_at.empty()) l.dead_lettered_time = contracts::ParseRfc3339(l.dead_lettered_at);

  // Who put it here: the runtime (x-choreo-* headers) or the broker itself (the latest
  // x-death entry: a delivery limit, a reject without requeue). Expiry is how retry and
  // delay queues hand a message back to its work queue, never how it reaches a DLQ. A
  // runtime error class can be older than the broker's death: a replayed copy keeps it.
  if (!deaths.empty() && (deaths.front().reason != "expired" || l.error_class.empty())) {
    const amqp::XDeath& latest = deaths.front();
    const bool newer = l.error_class.empty() || !l.dead_lettered_time || !latest.time ||
                       *latest.time >= std::chrono::floor<std::chrono::seconds>(*l.dead_lettered_time);
    if (newer) {
      l.broker_reason = latest.reason;
      l.error_class = "broker:" + latest.reason;
      l.error_message = ExplainBrokerDeadLetter(latest.reason, std::nullopt);
      if (!latest.queue.empty()) l.original_queue = latest.queue;
      if (latest.time) {
        l.dead_lettered_time = contracts::Millis(*latest.time);
        l.dead_lettered_at = contracts::FormatRfc3339(*latest.time);
      }
    }
  }
  if (l.dead_lettered_at.empty() && !deaths.empty() && deaths.front().time) {
    l.dead_lettered_time = contracts::Millis(*deaths.front().time);
    l.dead_lettered_at = contracts::FormatRfc3339(*deaths.front().time);
  }
  return l;
}

std::string ExplainBrokerDeadLetter(std::string_view reason, std::optional<int64_t> delivery_limit) {
  if (reason == "delivery_limit") {
    if (delivery_limit) {
      return "delivered " + std::to_string(*delivery_limit + 1) +
             " times without an ack: its consumers crashed or timed out (delivery limit " +
             std::to_string(*delivery_limit) + ")";
    }
    return "delivered more often than its queue's delivery limit allows, without an ack: its "
           "consumers crashed or timed out";
  }
  if (reason == "rejected") return "rejected by a consumer without requeue (basic.reject / basic.nack)";
  if (reason == "maxlen") return "pushed out of its queue by the queue's length limit";
  if (reason == "expired") return "expired in its queue (message TTL)";
  return "dead-lettered by the broker (x-death reason '" + std::string(reason) + "')";
}

std::string Fingerprint(const DeadLetter& l) {
  int64_t deaths = 0;
  for (const amqp::XDeath& d : amqp::ParseXDeath(l.message.headers)) deaths += d.count;
  std::ostringstream out;
  out << l.message_id << '\x1f' << l.dead_lettered_at << '\x1f' << l.replay_count << '\x1f'
      << l.attempts.value_or(-1) << '\x1f' << deaths << '\x1f' << l.message.body.size() << '\x1f'
      << std::hash<std::string>{}(l.message.body);
  return out.str();
}

bool GlobMatch(std::string_view pattern, std::string_view text) {
  // Iterative '*' matching with backtracking to the last star.
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool Filter::Empty() const {
  return ids.empty() && types.empty() && error_classes.empty() && !error_message && !error_message_is &&
         !older_than;
}

bool Filter::Matches(const DeadLetter& l, contracts::Millis now) const {
  if (!ids.empty() && std::find(ids.begin(), ids.end(), l.message_id) == ids.end()) return false;
  if (!types.empty() && std::none_of(types.begin(), types.end(), [&](const std::string& t) {
        return GlobMatch(t, l.event_type);
      })) {
    return false;
  }
  if (!error_classes.empty() &&
      std::find(error_classes.begin(), error_classes.end(), l.error_class) == error_classes.end()) {
    return false;
  }
  if (error_message && l.error_message.find(*error_message) == std::string::npos) return false;
  if (error_message_is && l.error_message != *error_message_is) return false;
  if (older_than) {
    // A message whose age is unknown is never "older than": a filter must not select
    // what it cannot judge.
    if (!l.dead_lettered_time) return false;
    if (now - *l.dead_lettered_time < *older_than) return false;
  }
  return true;
}

std::string Filter::Describe() const {
  std::ostringstream out;
  auto list = [&](const char* name, const std::vector<std::string>& values) {
    if (values.empty()) return;
    if (out.tellp() > 0) out << ' ';
    out << name << '=';
    for (std::size_t i = 0; i < values.size(); ++i) out << (i ? "," : "") << values[i];
  };
  list("id", ids);
  list("type", types);
  list("error", error_classes);
  if (error_message) {
    if (out.tellp() > 0) out << ' ';
    out << "error-message~\"" << *error_message << '"';
  }
  if (error_message_is) {
    if (out.tellp() > 0) out << ' ';
    out << "error-message=\"" << *error_message_is << '"';
  }
  if (older_than) {
    if (out.tellp() > 0) out << ' ';
    out << "older-than=" << FormatAge(*older_than);
  }
  return out.str();
}

std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::chrono::milliseconds total{0};
  std::size_t i = 0;
  while (i < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
    long long number = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      if (number > LLONG_MAX / 10 - 10) return std::nullopt;
      number = number * 10 + (text[i++] - '0');
    }
    std::size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    long long factor = 0;
    if (unit == "ms") factor = 1;
    else if (unit == "s") factor = 1000;
    else if (unit == "m") factor = 60'000;
    else if (unit == "h") factor = 3'600'000;
    else if (unit == "d") factor = 86'400'000;
    else if (unit == "w") factor = 7 * 86'400'000LL;
    else return std::nullopt;
    if (number > LLONG_MAX / factor) return std::nullopt;
    total += std::chrono::milliseconds(number * factor);
  }
  return total;
}

std::string FormatAge(std::chrono::milliseconds age) {
  using namespace std::chrono;
  if (age < milliseconds(0)) age = milliseconds(0);
  if (age < seconds(1)) return std::to_string(age.count()) + "ms";
  const long long s = duration_cast<seconds>(age).count();
  const long long d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60, sec = s % 60;
  std::ostringstream out;
  if (d > 0) {
    out << d << "d";
    if (h > 0) out << ' ' << h << 'h';
  } else if (h > 0) {
    out << h << "h";
    if (m > 0) out << ' ' << m << 'm';
  } else if (m > 0) {
    out << m << "m";
    if (sec > 0) out << ' ' << sec << 's';
  } else {
    out << sec << 's';
  }
  return out.str();
}

std::string DefaultReplayedBy() {
  std::string user;
  if (const char* u = std::getenv("USER"); u != nullptr && *u != '\0') user = u;
  else if (const char* l = ::getlogin(); l != nullptr) user = l;
  else user = "uid" + std::to_string(::getuid());
  char host[256] = {0};
  if (::gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return user + "@" + (host[0] != '\0' ? host : "unknown-host");
}

bool IsStrippedOnReplay(std::string_view header) {
  return header == "x-death" || header.starts_with("x-first-death-") ||
         header.starts_with("x-last-death-") || header == "x-delivery-count" ||
         header == amqp::kPublishSeqHeader;
}

amqp::Message ReplayCopy(const DeadLetter& l, std::string_view replayed_by,
                         std::string_view replayed_at) {
  amqp::Message m = l.message;
  amqp::FieldTable headers;
  for (const amqp::FieldEntry& e : l.message.headers.Entries()) {
    if (!IsStrippedOnReplay(e.key)) headers.Set(e.key, e.value);
  }
  headers.Set(std::string(dl::kReplayCount), l.replay_count + 1);
  headers.Set(std::string(dl::kReplayedAt), std::string(replayed_at));
  headers.Set(std::string(dl::kReplayedBy), std::string(replayed_by));
  m.headers = std::move(headers);
  return m;
}

std::vector<ErrorGroup> GroupByError(const std::vector<DeadLetter>& letters) {
  struct Acc {
    ErrorGroup group;
    std::set<std::string> types, workers;
  };
  std::map<std::pair<std::string, std::string>, Acc> groups;
  for (const DeadLetter& l : letters) {
    Acc& a = groups[{l.error_class, l.error_message}];
    ErrorGroup& g = a.group;
    if (g.count == 0) {
      g.error_class = l.error_class;
      g.error_message = l.error_message;
      g.example_message_id = l.message_id;
    }
    ++g.count;
    if (!l.event_type.empty()) a.types.insert(l.event_type);
    if (!l.worker.empty()) a.workers.insert(l.worker);
    // RFC 3339 UTC strings sort as time.
    if (!l.dead_lettered_at.empty()) {
      if (g.first_dead_lettered_at.empty() || l.dead_lettered_at < g.first_dead_lettered_at) {
        g.first_dead_lettered_at = l.dead_lettered_at;
      }
      if (l.dead_lettered_at > g.last_dead_lettered_at) g.last_dead_lettered_at = l.dead_lettered_at;
    }
  }
  std::vector<ErrorGroup> out;
  for (auto& [key, a] : groups) {
    a.group.event_types.assign(a.types.begin(), a.types.end());
    a.group.workers.assign(a.workers.begin(), a.workers.end());
    out.push_back(std::move(a.group));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const ErrorGroup& a, const ErrorGroup& b) { return a.count > b.count; });
  return out;
}

const char* ToString(Action action) {
  switch (action) {
    case Action::kReplayed: return "replayed";
    case Action::kWouldReplay: return "would_replay";
    case Action::kSkipped: return "skipped";
    case Action::kFailed: return "failed";
    case Action::kPurged: return "purged";
    case Action::kWouldPurge: return "would_purge";
  }
  return "unknown";
}

}  // namespace choreo::admin
