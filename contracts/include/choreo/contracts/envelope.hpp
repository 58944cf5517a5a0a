#pragma once
// The envelope every message travels in. The AMQP body is the envelope as a whole, so a
// message stays self-describing when it is dumped from a DLQ, stored in an outbox row or
// replayed, with no broker properties needed to make sense of it.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace choreo::contracts {

struct Envelope {
  std::string message_id;      // a UUID (v4; v7 from the gateway); the same on every republish (the inbox key)
  std::string type;            // event type = routing key, e.g. "inventory.reserved"
  std::string version;         // schema version of the payload, "major.minor"
  std::string correlation_id;  // the order id
  std::string causation_id;    // message_id of the message that caused this; "" for the first
  std::string producer;        // component name, e.g. "inventory"
  std::string occurred_at;     // RFC 3339 UTC with milliseconds
  nlohmann::json payload = nlohmann::json::object();
  // Transport, not body: the W3C traceparent the message travels with (trace.hpp), an
  // AMQP header. Empty when there is none. Serialize never writes it.
  std::string traceparent;

  bool operator==(const Envelope&) const = default;
};

// Strict about the types of known fields, ignores unknown ones. Does not check the
// payload: that is Validate()'s job (validation.hpp).
void to_json(nlohmann::json& j, const Envelope& envelope);
void from_json(const nlohmann::json& j, Envelope& envelope);

// The message body to publish.
std::string Serialize(const Envelope& envelope);

// AMQP basic properties and headers as plain data, for the AMQP layer to copy over.
// Duplicating envelope fields into properties lets the broker UI, tracing and
// `choreo-admin dlq show` filter without parsing bodies; the body stays authoritative.
struct AmqpProperties {
  std::string message_id;
  std::string type;
  std::string correlation_id;
  std::string app_id;  // = producer
  std::string content_type = "application/json";
  std::int64_t timestamp = 0;  // seconds since the epoch: the AMQP timestamp property's unit
  // Per-message TTL in milliseconds (AMQP `expiration` is a decimal string); empty for
  // everything except delayed self-messages such as inventory.reservation_deadline.
  std::string expiration;
  std::map<std::string, std::string> headers;  // x-choreo-version, x-choreo-causation-id, traceparent
};

inline constexpr std::string_view kVersionHeader = "x-choreo-version";
inline constexpr std::string_view kCausationHeader = "x-choreo-causation-id";

// Throws ContractError if occurred_at (or a delayed message's expires_at) is not RFC 3339.
AmqpProperties ToAmqpProperties(const Envelope& envelope);

namespace detail {
// 64 random bits from the engine the ids below use (one per thread, seeded by the OS).
std::uint64_t RandomWord();
}  // namespace detail

// Random UUID v4, lower case.
std::string NewUuid();
// UUID v7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Ids made in time
// order keep the indexes they key append-only (the gateway's order and message ids).
std::string NewTimeOrderedUuid();

// A new envelope with a fresh message id, the current time and the current version of
// `type` from the catalog. Throws std::invalid_argument for a type the catalog lacks:
// publishing an event nobody described is a programming error, not bad input.
// events.hpp has a typed overload that fills type, producer and correlation id.
Envelope MakeEnvelope(std::string_view type, std::string_view correlation_id,
                      std::string_view causation_id, std::string_view producer,
                      nlohmann::json payload);

struct SchemaVersion {
  int major = 0;
  int minor = 0;
  bool operator==(const SchemaVersion&) const = default;
};

// "1.0" -> {1, 0}; nullopt unless it is exactly <digits>.<digits>.
std::optional<SchemaVersion> ParseVersion(std::string_view text);

}  // namespace choreo::contracts
