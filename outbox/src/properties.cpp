#include "choreo/outbox/properties.hpp"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace choreo::outbox::detail {

std::string EncodeProperties(const OutgoingMessage& message) {
  nlohmann::json p = nlohmann::json::object();
  if (!message.content_type.empty()) p["content_type"] = message.content_type;
  if (!message.type.empty()) p["type"] = message.type;
  if (!message.correlation_id.empty()) p["correlation_id"] = message.correlation_id;
  if (!message.app_id.empty()) p["app_id"] = message.app_id;
  if (!message.headers.empty()) p["headers"] = message.headers;
  if (message.expiration) p["expiration_ms"] = message.expiration->count();
  return p.dump();
}

amqp::Message DecodeMessage(const std::string& message_id, const std::string& properties, std::string body) {
  nlohmann::json p;
  try {
    p = nlohmann::json::parse(properties);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error("outbox row " + message_id + ": unreadable properties: " + e.what());
  }
  amqp::Message m;
  m.message_id = message_id;
  m.body = std::move(body);
  m.delivery_mode = amqp::DeliveryMode::kPersistent;
  m.content_type = p.value("content_type", "");
  m.type = p.value("type", "");
  m.correlation_id = p.value("correlation_id", "");
  m.app_id = p.value("app_id", "");
  if (p.contains("expiration_ms")) m.expiration = std::to_string(p["expiration_ms"].get<int64_t>());
  if (p.contains("headers")) {
    for (auto& [k, v] : p["headers"].items()) m.headers.Set(k, amqp::FieldValue(v.get<std::string>()));
  }
  return m;
}

}  // namespace choreo::outbox::detail
