#include "choreo/contracts/envelope.hpp"
#include "choreo/contracts/trace.hpp"

#include <algorithm>
#include <cstdio>
#include <chrono>
#include <random>
#include <stdexcept>

#include "choreo/contracts/catalog.hpp"
#include "choreo/contracts/error.hpp"
#include "choreo/contracts/inventory_events.hpp"
#include "choreo/contracts/time.hpp"

namespace choreo::contracts {
namespace {

// Envelope fields in wire order; all strings. causation_id may be absent on input
// (read as ""), so older or foreign producers that omit it are still understood.
struct StringField {
  std::string_view name;
  std::string Envelope::*member;
  bool required;
};
constexpr StringField kStringFields[] = {
    {"message_id", &Envelope::message_id, true},
    {"type", &Envelope::type, true},
    {"version", &Envelope::version, true},
    {"correlation_id", &Envelope::correlation_id, true},
    {"causation_id", &Envelope::causation_id, false},
    {"producer", &Envelope::producer, true},
    {"occurred_at", &Envelope::occurred_at, true},
};

std::int64_t EpochSeconds(std::string_view rfc3339, std::string_view field) {
  const auto parsed = ParseRfc3339(rfc3339);
  if (!parsed) {
    throw ContractError(ErrorKind::kInvalidValue, std::string(field), "not an RFC 3339 date-time");
  }
  return std::chrono::floor<std::chrono::seconds>(*parsed).time_since_epoch().count();
}

}  // namespace

void to_json(nlohmann::json& j, const Envelope& envelope) {
  j = nlohmann::json::object();
  for (const auto& field : kStringFields) j[std::string(field.name)] = envelope.*(field.member);
  j["payload"] = envelope.payload;
}

void from_json(const nlohmann::json& j, Envelope& envelope) {
  if (!j.is_object()) throw ContractError(ErrorKind::kNotObject, "", "expected a JSON object");
  for (const auto& field : kStringFields) {
    const auto it = j.find(field.name);
    const std::string path = "/" + std::string(field.name);
    if (it == j.end()) {
      if (field.required) throw ContractError(ErrorKind::kMissingField, path, "required field is missing");
      (envelope.*(field.member)).clear();
    } else if (!it->is_string()) {
      throw ContractError(ErrorKind::kWrongType, path, "expected string, got " + std::string(it->type_name()));
    } else {
      envelope.*(field.member) = it->get<std::string>();
    }
  }
  const auto payload = j.find("payload");
  if (payload == j.end()) throw ContractError(ErrorKind::kMissingField, "/payload", "required field is missing");
  if (!payload->is_object()) {
    throw ContractError(ErrorKind::kWrongType, "/payload", "expected object, got " + std::string(payload->type_name()));
  }
  envelope.payload = *payload;
}

std::string Serialize(const Envelope& envelope) { return nlohmann::json(envelope).dump(); }

AmqpProperties ToAmqpProperties(const Envelope& envelope) {
  AmqpProperties properties;
  properties.message_id = envelope.message_id;
  properties.type = envelope.type;
  properties.correlation_id = envelope.correlation_id;
  properties.app_id = envelope.producer;
  properties.timestamp = EpochSeconds(envelope.occurred_at, "/occurred_at");
  properties.headers.emplace(kVersionHeader, envelope.version);
  properties.headers.emplace(kCausationHeader, envelope.causation_id);
  if (!envelope.traceparent.empty()) properties.headers.emplace(kTraceparentHeader, envelope.traceparent);
  if (envelope.type == ReservationDeadline::kType) {
    // Measured from occurred_at, not from now: the relay may publish late (broker down),
    // and a deadline that fires late is harmless while one that fires early is not.
    const auto expires = envelope.payload.find("expires_at");
    if (expires == envelope.payload.end() || !expires->is_string()) {
      throw ContractError(ErrorKind::kMissingField, "/payload/expires_at", "a deadline needs expires_at");
    }
    const auto occurred = ParseRfc3339(envelope.occurred_at);
    const auto deadline = ParseRfc3339(expires->get<std::string>());
    if (!occurred || !deadline) {
      throw ContractError(ErrorKind::kInvalidValue, "/payload/expires_at", "not an RFC 3339 date-time");
    }
    properties.expiration = std::to_string(std::max<std::int64_t>(0, (*deadline - *occurred).count()));
  }
  return properties;
}

namespace {

// One engine per thread: no locking, and mt19937_64 seeded from the OS is plenty for ids
// that only need to be unique, not unguessable.
std::mt19937_64& UuidEngine() {
  thread_local std::mt19937_64 engine = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device(), device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  return engine;
}

// `high` carries the version nibble already; sets the RFC 4122 variant on `low`.
std::string FormatUuid(std::uint64_t high, std::uint64_t low) {
  low = (low & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;
  char buffer[37];
  std::snprintf(buffer, sizeof buffer, "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>(high >> 32), static_cast<unsigned>((high >> 16) & 0xFFFF),
                static_cast<unsigned>(high & 0xFFFF), static_cast<unsigned>(low >> 48),
                static_cast<unsigned long long>(low & 0xFFFFFFFFFFFFULL));
  return buffer;
}

}  // namespace

std::uint64_t detail::RandomWord() { return UuidEngine()(); }

std::string NewUuid() {
  const std::uint64_t high = (UuidEngine()() & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // version 4
  return FormatUuid(high, UuidEngine()());
}

std::string NewTimeOrderedUuid() {
  const auto ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
  const std::uint64_t high = (ms << 16) | 0x7000 | (UuidEngine()() & 0x0FFF);  // time, version 7, rand_a
  return FormatUuid(high, UuidEngine()());
}

Envelope MakeEnvelope(std::string_view type, std::string_view correlation_id,
                      std::string_view causation_id, std::string_view producer,
                      nlohmann::json payload) {
  const EventInfo* info = FindEvent(type);
  if (info == nullptr) {
    throw std::invalid_argument("MakeEnvelope: unknown event type '" + std::string(type) + "'");
  }
  Envelope envelope;
  envelope.message_id = NewUuid();
  envelope.type = std::string(type);
  envelope.version = std::string(info->version);
  envelope.correlation_id = std::string(correlation_id);
  envelope.causation_id = std::string(causation_id);
  envelope.producer = std::string(producer);
  envelope.occurred_at = NowRfc3339();
  envelope.payload = std::move(payload);
  return envelope;
}

std::optional<SchemaVersion> ParseVersion(std::string_view text) {
  const auto dot = text.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == text.size()) return std::nullopt;
  auto number = [](std::string_view digits) -> std::optional<int> {
    if (digits.size() > 6) return std::nullopt;  // nobody ships version 1000000
    int value = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + (c - '0');
    }
    return value;
  };
  const auto major = number(text.substr(0, dot));
  const auto minor = number(text.substr(dot + 1));
  if (!major || !minor) return std::nullopt;
  return SchemaVersion{*major, *minor};
}

}  // namespace choreo::contracts
