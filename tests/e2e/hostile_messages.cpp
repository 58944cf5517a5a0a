#include "hostile_messages.hpp"

#include <cstdio>
#include <limits>
#include <map>
#include <set>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "choreo/contracts/envelope.hpp"
#include "choreo/contracts/topology.hpp"
#include "yaml_subset.hpp"  // contracts::TestFile: the golden examples, compiled in

namespace choreo::e2e::hostile {
namespace {

using nlohmann::json;

// A string value the generators put where raw text (not JSON-escaped) is spliced in.
constexpr std::string_view kSlot = "@@HOSTILE-SLOT@@";

json Example(const std::string& type) {
  json envelope = json::parse(contracts::TestFile("examples/" + type + ".v1.json"));
  // Fresh ids: should a limit not hold, the message is one more order, not a duplicate.
  const std::string order_id = contracts::NewUuid();
  envelope["message_id"] = contracts::NewUuid();
  envelope["correlation_id"] = order_id;
  if (envelope["payload"].contains("order_id")) envelope["payload"]["order_id"] = order_id;
  return envelope;
}

json Without(json envelope, const char* field) {
  envelope.erase(field);
  return envelope;
}

// `document` as text, with the kSlot string replaced by `raw`.
std::string Splice(const json& document, std::string_view raw) {
  std::string text = document.dump();
  const std::string slot = "\"" + std::string(kSlot) + "\"";
  const auto at = text.find(slot);
  if (at == std::string::npos) throw std::logic_error("hostile: no slot in the document");
  return text.replace(at, slot.size(), raw);
}

std::string NestedArrays(int levels) { return std::string(levels, '[') + std::string(levels, ']'); }

std::string NestedObjects(int levels) {
  std::string text;
  text.reserve(static_cast<std::size_t>(levels) * 6);
  for (int i = 1; i < levels; ++i) text += "{\"a\":";
  text += "{}";
  return text + std::string(static_cast<std::size_t>(levels - 1), '}');
}

// `envelope` with a top-level padding field that makes the body exactly `bytes` long.
std::string PaddedTo(json envelope, std::size_t bytes) {
  envelope["x_padding"] = kSlot;
  const std::size_t bare = Splice(envelope, "\"\"").size();
  if (bare > bytes) throw std::logic_error("hostile: padding target below the envelope size");
  return Splice(envelope, "\"" + std::string(bytes - bare, 'x') + "\"");
}

// An envelope nested `depth` levels deep in all: arrays under the payload (levels 3..),
// or objects under the envelope (levels 2..).
std::string NestedTo(json envelope, int depth, int variant) {
  if (variant % 2 == 0) {
    envelope["payload"]["x_deep"] = kSlot;
    return Splice(envelope, NestedArrays(depth - 2));
  }
  envelope["x_deep"] = kSlot;
  return Splice(envelope, NestedObjects(depth - 1));
}

amqp::Message Json(std::string body, const Route& route) {
  return amqp::Message{.body = std::move(body), .content_type = "application/json", .type = route.routing_key};
}

Hostile Invalid(std::string body, const Route& route) { return {Json(std::move(body), route)}; }

Hostile Slotted(json envelope, const char* field, std::string_view raw, const Route& route) {
  envelope[field] = kSlot;
  return Invalid(Splice(envelope, raw), route);
}

Hostile WithField(json envelope, const char* field, json value, const Route& route) {
  envelope[field] = std::move(value);
  return Invalid(envelope.dump(), route);
}

// Contract-breaking JSON for the header kinds: their point is the headers.
Hostile WithHeaders(amqp::FieldTable headers, const Route& route) {
  Hostile h = Invalid(Without(Example(route.routing_key), "payload").dump(), route);
  h.message.headers = std::move(headers);
  return h;
}

amqp::FieldTable XDeath(const std::string& queue, int64_t count) {
  return {{"count", count}, {"reason", "expired"}, {"queue", queue}, {"exchange", ""},
          {"routing-keys", amqp::FieldArray{queue}}, {"time", amqp::Timestamp(std::chrono::seconds(1))}};
}

amqp::FieldTable ForgedXDeath(int variant) {
  amqp::FieldArray deaths;
  switch (variant) {
    case 0:  // claims every retry of every worker, counts at the int64 limit
      for (const auto& worker : contracts::topology::Workers()) {
        for (int attempt = 1; attempt <= 2; ++attempt) {
          deaths.emplace_back(XDeath(contracts::topology::RetryQueueName(worker.worker, attempt),
                                     std::numeric_limits<int64_t>::max()));
        }
      }
      return {{"x-death", deaths}};
    case 1:
      return {{"x-death", "died many times"}};
    case 2:
      deaths = {42, "x", amqp::FieldTable{{"count", "many"}, {"queue", 7}, {"reason", amqp::FieldArray{}}}};
      return {{"x-death", deaths}};
    default:  // ~100 KB of plausible history
      for (int i = 0; i < 1000; ++i) deaths.emplace_back(XDeath("order.retry.1", i));
      return {{"x-death", deaths}};
  }
}

// Headers that, re-encoded with what a worker adds to a dead letter, no longer fit in
// a frame: the original is `margin` bytes short of frame_max (room for the broker's own
// x-delivery-count on a redelivery, not for the x-choreo-* headers).
amqp::FieldTable AtFrameLimit(const Route& route, std::size_t margin) {
  constexpr std::size_t kContentHeaderFixed = 14;  // class, weight, body size, flags
  constexpr std::size_t kFrameOverhead = 8;
  constexpr std::size_t kPublishSeqEntry = 1 + 20 + 1 + 8;  // the publisher's x-choreo-publish-seq
  const std::size_t other_properties = (1 + std::string("application/json").size()) + 1 /*delivery mode*/ +
                                       (1 + MessageId(0).size()) + (1 + route.routing_key.size()) + 4 /*table length*/;
  const std::size_t table = kFrameMax - kFrameOverhead - kContentHeaderFixed - margin - other_properties - kPublishSeqEntry;
  amqp::FieldTable headers;
  char key[32];
  const std::size_t last_entry_fixed = 1 + 14 + 1 + 4;  // "x-hostile-last", a long string
  // Leave at least room for the last entry's key, whose value then fills the table exactly.
  for (int i = 0; EncodedSize(headers) + (1 + 14 + 1 + 4 + 100) + last_entry_fixed < table; ++i) {
    std::snprintf(key, sizeof key, "x-hostile-%04d", i);
    headers.Set(key, std::string(100, 'h'));
  }
  headers.Set("x-hostile-last", std::string(table - EncodedSize(headers) - last_entry_fixed, 'h'));
  if (EncodedSize(headers) != table) throw std::logic_error("hostile: header table size miscounted");
  return headers;
}

amqp::FieldTable DeepTables(int depth) {
  amqp::FieldTable inner{{"bottom", true}};
  for (int i = 1; i < depth; ++i) {
    amqp::FieldTable outer;  // not FieldTable{{...}}: an initializer list copies the whole chain
    outer.Set("d", amqp::FieldValue(std::move(inner)));
    inner = std::move(outer);
  }
  return {{"x-hostile-deep", std::move(inner)}};
}

std::size_t ValueSize(const amqp::FieldValue& value) {
  const auto& v = value.Value();
  std::size_t size = 1;  // type tag
  if (std::holds_alternative<bool>(v)) return size + 1;
  if (std::holds_alternative<int64_t>(v) || std::holds_alternative<double>(v) ||
      std::holds_alternative<amqp::Timestamp>(v)) {
    return size + 8;
  }
  if (const auto* s = std::get_if<std::string>(&v)) return size + 4 + s->size();
  if (const auto* a = std::get_if<amqp::FieldArray>(&v)) {
    size += 4;
    for (const auto& element : *a) size += ValueSize(element);
    return size;
  }
  if (const auto* t = std::get_if<amqp::FieldTable>(&v)) return size + 4 + EncodedSize(*t);
  return size;  // void
}

std::vector<Kind> MakeKinds() {
  std::vector<Kind> kinds;
  auto add = [&](std::string name, int variants, auto make) { kinds.push_back({std::move(name), variants, make}); };
  auto add_big = [&](std::string name, int variants, auto make) {
    kinds.push_back({std::move(name), variants, make, /*one_route_per_exchange=*/true});
  };
  add("binary", 10, [](const Route& r, int v, std::mt19937& rng) {
    std::string body(v == 0 ? 1 : 1 + rng() % 4096, '\0');
    for (char& c : body) c = static_cast<char>(rng() & 0xFF);
    if (v == 0) body[0] = '\xFF';
    Hostile h = Invalid(std::move(body), r);
    h.message.content_type = "application/octet-stream";
    return h;
  });
  add("empty", 3, [](const Route& r, int v, std::mt19937&) {
    const char* bodies[] = {"", " \r\n\t ", "\xEF\xBB\xBF"};
    return Invalid(bodies[v], r);
  });
  add("truncated", 8, [](const Route& r, int, std::mt19937& rng) {
    std::string body = ValidBody(r.routing_key);
    return Invalid(body.substr(0, 1 + rng() % (body.size() - 1)), r);
  });
  add("invalid_utf8", 6, [](const Route& r, int v, std::mt19937&) {
    const char* bad[] = {"\xC3\x28", "\xA0\xA1", "\xE2\x28\xA1", "\xF0\x28\x8C\xBC", "\xC0\xAF", "\xED\xA0\x80"};
    return Slotted(Example(r.routing_key), v % 2 ? "producer" : "x_note", "\"caf" + std::string(bad[v]) + "\"", r);
  });
  add_big("deep_payload", 1, [](const Route& r, int, std::mt19937&) {
    json envelope = Example(r.routing_key);
    envelope["payload"]["x_deep"] = kSlot;
    return Hostile{Json(Splice(envelope, NestedArrays(kDeepNesting)), r), true};
  });
  add_big("deep_top_level", 3, [](const Route& r, int v, std::mt19937&) {
    if (v == 0) return Invalid(NestedArrays(kDeepNesting), r);
    if (v == 1) return Invalid(NestedObjects(kDeepNesting * 3 / 8), r);  // ~900 KB
    json envelope = Example(r.routing_key);
    envelope["x_deep"] = kSlot;
    return Hostile{Json(Splice(envelope, NestedArrays(kDeepNesting)), r), true};
  });
  add_big("huge_string_8mb", 1, [](const Route& r, int, std::mt19937&) {
    json envelope = Example(r.routing_key);
    envelope["payload"]["x_blob"] = std::string(kHugeStringBytes, 'A');
    return Hostile{Json(envelope.dump(), r), true};
  });
  add("number_overflow", 5, [](const Route& r, int v, std::mt19937&) {
    if (v == 0) return Invalid("1e999999", r);
    const char* fields[] = {"", "message_id", "payload", "occurred_at", "correlation_id"};
    const char* numbers[] = {"", "1e999999", "-1e999999", "1e-999999", "123456789012345678901234567890123456789"};
    return Slotted(Example(r.routing_key), fields[v], numbers[v], r);
  });
  add("wrong_types", 6, [](const Route& r, int v, std::mt19937&) {
    const char* fields[] = {"payload", "message_id", "type", "version", "correlation_id", "occurred_at"};
    const json values[] = {json::array(), 42, json::object(), 1.0, false, 1714564800};
    return WithField(Example(r.routing_key), fields[v], values[v], r);
  });
  add("unknown_type", 4, [](const Route& r, int v, std::mt19937&) {
    const std::string types[] = {"order.exploded", "", "ORDER.PLACED", r.routing_key + ".v2"};
    return WithField(Example(r.routing_key), "type", types[v], r);
  });
  add("unsupported_version", 3, [](const Route& r, int v, std::mt19937&) {
    const char* versions[] = {"2.0", "99.1", "1"};
    return WithField(Example(r.routing_key), "version", versions[v], r);
  });
  add("not_an_object", 5, [](const Route& r, int v, std::mt19937&) {
    const std::string bodies[] = {"null", "[]", "\"" + r.routing_key + "\"", "true", "{}"};
    return Invalid(bodies[v], r);
  });
  add("trailing_garbage", 3, [](const Route& r, int v, std::mt19937&) {
    const char* tails[] = {"{}", " x", "\n]"};
    return Invalid(ValidBody(r.routing_key) + tails[v], r);
  });
  add("nul_bytes", 4, [](const Route& r, int v, std::mt19937&) {
    const std::string nul(1, '\0');
    if (v == 0) return Invalid(nul + ValidBody(r.routing_key), r);
    if (v == 1) return Slotted(Example(r.routing_key), "producer", "\"inv" + nul + "entory\"", r);
    if (v == 2) return WithField(Example(r.routing_key), "type", r.routing_key + nul, r);  // escaped \u0000
    return Invalid(std::string(1024, '\0'), r);
  });
  add("duplicate_keys", 3, [](const Route& r, int v, std::mt19937&) {
    // Neither the first nor the last occurrence is valid, so first-wins, last-wins and
    // strict parsers all refuse it.
    const char* first[] = {"\"version\":\"2.0\"", "\"payload\":[]", "\"message_id\":\"not-a-uuid\""};
    const char* last[] = {"\"version\":\"0.1\"", "\"payload\":\"x\"", "\"message_id\":7"};
    std::string body = ValidBody(r.routing_key);
    body.insert(body.size() - 1, std::string(",") + last[v]);
    body.insert(1, std::string(first[v]) + ",");
    return Invalid(std::move(body), r);
  });
  add("wrong_content_type", 5, [](const Route& r, int v, std::mt19937&) {
    const char* types[] = {"application/xml", "text/plain; charset=latin1", "application/json",
                           "application/x-protobuf", ""};
    const char* encodings[] = {"", "", "gzip", "", "br"};
    const std::string bodies[] = {"<order><id>1</id></order>", "order placed \xE9t\xE9",
                                  std::string("\x1F\x8B\x08\x00\x00\x00\x00\x00\x00\x03\xAB\xAE\x05\x00", 14),
                                  std::string("\x0A\x05order\x10\x02", 9), std::string("\xCE\xB2\x00\x01", 4)};
    Hostile h = Invalid(bodies[v], r);
    h.message.content_type = types[v];
    h.message.content_encoding = encodings[v];
    return h;
  });
  add("forged_x_death", 4, [](const Route& r, int v, std::mt19937&) { return WithHeaders(ForgedXDeath(v), r); });
  add("forged_choreo_headers", 1, [](const Route& r, int, std::mt19937&) {
    return WithHeaders({{"x-choreo-original-exchange", "amq.topic"},
                        {"x-choreo-original-routing-key", "order.confirmed"},
                        {"x-choreo-original-queue", "elsewhere"},
                        {"x-choreo-error-class", "none"},
                        {"x-choreo-worker", "evil"},
                        {"x-choreo-attempts", "lots"},
                        {"x-choreo-replay-count", -5},
                        {"x-choreo-publish-seq", "not a number"}},
                       r);
  });
  add("headers_100kb", 1, [](const Route& r, int, std::mt19937&) {
    amqp::FieldTable headers;
    char key[32];
    for (int i = 0; i < 1300; ++i) {
      std::snprintf(key, sizeof key, "x-hostile-%04d", i);
      headers.Set(key, std::string(60, 'h'));
    }
    return WithHeaders(std::move(headers), r);
  });
  add("headers_at_frame_limit", 1, [](const Route& r, int, std::mt19937&) {
    return WithHeaders(AtFrameLimit(r, 64), r);
  });
  add("headers_deep_tables", 2, [](const Route& r, int v, std::mt19937&) {
    return WithHeaders(DeepTables(v == 0 ? 100 : 2000), r);
  });
  add_big("bytes_at_limit", 1, [](const Route& r, int, std::mt19937&) {
    Hostile h = Invalid(PaddedTo(Without(Example(r.routing_key), "occurred_at"), kMaxBodyBytes), r);
    h.expect_in_error = "/occurred_at";
    return h;
  });
  add_big("bytes_over_limit", 1, [](const Route& r, int, std::mt19937&) {
    return Hostile{Json(PaddedTo(Example(r.routing_key), kMaxBodyBytes + 1), r), true};
  });
  add("depth_at_limit", 2, [](const Route& r, int v, std::mt19937&) {
    Hostile h = Invalid(NestedTo(Without(Example(r.routing_key), "occurred_at"), kMaxDepth, v), r);
    h.expect_in_error = "/occurred_at";
    return h;
  });
  add("depth_over_limit", 2, [](const Route& r, int v, std::mt19937&) {
    return Hostile{Json(NestedTo(Example(r.routing_key), kMaxDepth + 1, v), r), true};
  });
  return kinds;
}

}  // namespace

std::vector<Route> Routes() {
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> subscribers;
  for (const auto& worker : contracts::topology::Workers()) {
    for (const auto& binding : worker.work.bindings) {
      subscribers[{binding.exchange, binding.routing_key}].push_back(worker.work.name);
    }
  }
  std::vector<Route> routes;
  for (auto& [key, queues] : subscribers) routes.push_back({key.first, key.second, std::move(queues)});
  return routes;
}

std::vector<const Route*> RoutesOf(const Kind& kind, const std::vector<Route>& routes) {
  std::vector<const Route*> out;
  std::set<std::string> exchanges;
  for (const auto& route : routes) {
    if (!kind.one_route_per_exchange || exchanges.insert(route.exchange).second) out.push_back(&route);
  }
  return out;
}

const std::vector<Kind>& Kinds() {
  static const std::vector<Kind> kinds = MakeKinds();
  return kinds;
}

std::size_t EncodedSize(const amqp::FieldTable& table) {
  std::size_t size = 0;
  for (const auto& entry : table.Entries()) size += 1 + entry.key.size() + ValueSize(entry.value);
  return size;
}

std::string ValidBody(const std::string& type) { return Example(type).dump(); }

std::string MessageId(std::size_t sequence) {
  char id[32];
  std::snprintf(id, sizeof id, "%s%06zu", std::string(kMessageIdPrefix).c_str(), sequence);
  return id;
}

}  // namespace choreo::e2e::hostile
