#include "choreo/worker/context.hpp"

#include "choreo/outbox/producer.hpp"

namespace choreo::worker {

std::string Context::PublishEnvelope(const contracts::Envelope& envelope) {
  if (!traceparent_.empty() && envelope.traceparent != traceparent_) {
    contracts::Envelope traced = envelope;
    traced.traceparent = traceparent_;
    outbox::AppendEnvelope(tx_, traced);
  } else {
    outbox::AppendEnvelope(tx_, envelope);
  }
  emitted_.push_back(envelope.message_id);
  return envelope.message_id;
}

}  // namespace choreo::worker
