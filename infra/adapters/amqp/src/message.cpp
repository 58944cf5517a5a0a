#include "choreo/amqp/message.hpp"

namespace choreo::amqp {

std::vector<XDeath> ParseXDeath(const FieldTable& headers) {
  std::vector<XDeath> out;
  const FieldValue* header = headers.Find("x-death");
  if (header == nullptr) return out;
  const FieldArray* array = header->As<FieldArray>();
  if (array == nullptr) return out;
  for (const FieldValue& element : *array) {
    const FieldTable* t = element.As<FieldTable>();
    if (t == nullptr) continue;
    XDeath d;
    d.count = t->GetInt("count").value_or(0);
    d.reason = t->GetString("reason").value_or("");
    d.queue = t->GetString("queue").value_or("");
    d.exchange = t->GetString("exchange").value_or("");
    if (const FieldValue* keys = t->Find("routing-keys")) {
      if (const FieldArray* a = keys->As<FieldArray>()) {
        for (const FieldValue& k : *a) {
          if (const auto* s = k.As<std::string>()) d.routing_keys.push_back(*s);
        }
      }
    }
    if (const FieldValue* time = t->Find("time")) {
      if (const auto* ts = time->As<Timestamp>()) d.time = *ts;
    }
    out.push_back(std::move(d));
  }
  return out;
}

int64_t DeathCount(const FieldTable& headers, const std::string& queue) {
  int64_t total = 0;
  for (const XDeath& d : ParseXDeath(headers)) {
    if (d.queue == queue) total += d.count;
  }
  return total;
}

}  // namespace choreo::amqp
