#include "choreo/outbox/producer.hpp"

#include <chrono>
#include <stdexcept>
#include <string>

#include "choreo/contracts/catalog.hpp"
#include "choreo/outbox/outbox.hpp"

namespace choreo::outbox {

void AppendEnvelope(store::Tx& tx, const contracts::Envelope& envelope) {
  const contracts::EventInfo* info = contracts::FindEvent(envelope.type);
  if (info == nullptr) throw std::invalid_argument("no contract for event type '" + envelope.type + "'");
  contracts::AmqpProperties p = contracts::ToAmqpProperties(envelope);
  OutgoingMessage m;
  m.message_id = p.message_id;
  m.exchange = std::string(info->exchange);
  m.routing_key = envelope.type;
  m.body = contracts::Serialize(envelope);
  m.content_type = p.content_type;
  m.type = p.type;
  m.correlation_id = p.correlation_id;
  m.app_id = p.app_id;
  m.headers = p.headers;
  if (!p.expiration.empty()) m.expiration = std::chrono::milliseconds(std::stoll(p.expiration));
  Append(tx, m);
}

}  // namespace choreo::outbox
