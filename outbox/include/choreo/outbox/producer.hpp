#pragma once
// The one way a choreo component writes an event to its outbox: handlers (through
// worker::Context::Publish), the gateway's order intake and tools all append here, so every
// row carries the AMQP properties the contracts define, whoever produced it.
#include "choreo/contracts/envelope.hpp"
#include "choreo/store/store.hpp"

namespace choreo::outbox {

// Appends `envelope` to the outbox inside the caller's transaction, on its type's exchange
// (routing key = type), with the AMQP properties of contracts::ToAmqpProperties (message
// id, type, correlation id, producer, version and causation headers, and the expiration of
// self-addressed delayed messages). The relay publishes it after the commit; wake it then
// (worker::ComponentHost::NotifyOutbox) so it does not wait for its sweep. Throws
// std::invalid_argument for an event type without contract, store::StoreError on a
// duplicate message id.
void AppendEnvelope(store::Tx& tx, const contracts::Envelope& envelope);

}  // namespace choreo::outbox
