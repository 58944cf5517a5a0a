#pragma once
// What a handler sees of one message: the incoming envelope, the store transaction its
// effects go into, and a way to emit events (appended to the outbox in the same
// transaction, published by the relay after commit). No AMQP, no inbox.
#include <any>
#include <string>
#include <typeinfo>
#include <vector>

#include "choreo/contracts/envelope.hpp"
#include "choreo/contracts/events.hpp"
#include "choreo/outbox/outbox.hpp"
#include "choreo/store/store.hpp"

namespace choreo::worker {

class Context {
 public:
  // `traceparent`: the handling's span (contracts/trace.hpp), sent with what it emits.
  Context(const contracts::Envelope& message, store::Tx& tx, std::string worker, int attempt,
          const std::any* effect = nullptr, std::string traceparent = "")
      : message_(message),
        tx_(tx),
        worker_(std::move(worker)),
        attempt_(attempt),
        effect_(effect),
        traceparent_(std::move(traceparent)) {}
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  const contracts::Envelope& Message() const { return message_; }
  // The order this message belongs to (the envelope's correlation id).
  const std::string& CorrelationId() const { return message_.correlation_id; }
  store::Tx& Tx() { return tx_; }
  const std::string& Worker() const { return worker_; }
  // 1 on the first delivery, 2 after the first retry, ...
  int Attempt() const { return attempt_; }

  // Emits `event` as caused by the incoming message (same correlation id, causation id =
  // incoming message id). Returns the new message id.
  template <contracts::Event E>
  std::string Publish(const E& event) {
    return PublishEnvelope(contracts::MakeEnvelope(event, message_));
  }

  // Emits a prepared envelope on its type's exchange (routing key = type), through the
  // outbox's one entry point for producers (outbox::AppendEnvelope). It is sent as this
  // handling's span, whatever traceparent the envelope had (a copy of the incoming one,
  // say, sent back to wait).
  std::string PublishEnvelope(const contracts::Envelope& envelope);

  // What the message's effect (Worker::On with an effect) returned before this
  // transaction began. Throws std::logic_error when there is none of type R.
  template <class R>
  const R& Effect() const {
    if (effect_ == nullptr || effect_->type() != typeid(R)) {
      throw std::logic_error("worker: no effect result of the requested type for " + message_.type);
    }
    return *std::any_cast<R>(effect_);
  }
  // Envelopes emitted so far in this transaction (for tests and logs).
  const std::vector<std::string>& Emitted() const { return emitted_; }

 private:
  const contracts::Envelope& message_;
  store::Tx& tx_;
  std::string worker_;
  int attempt_;
  const std::any* effect_;
  std::string traceparent_;
  std::vector<std::string> emitted_;
};

// What an effect sees of one message: the envelope and the worker's store for reads (in
// a short transaction of its own). No transaction of the handler exists yet.
class EffectContext {
 public:
  EffectContext(const contracts::Envelope& message, store::Store& store, int attempt)
      : message_(message), store_(store), attempt_(attempt) {}
  EffectContext(const EffectContext&) = delete;
  EffectContext& operator=(const EffectContext&) = delete;

  const contracts::Envelope& Message() const { return message_; }
  const std::string& CorrelationId() const { return message_.correlation_id; }
  store::Store& Store() { return store_; }
  int Attempt() const { return attempt_; }

 private:
  const contracts::Envelope& message_;
  store::Store& store_;
  int attempt_;
};

}  // namespace choreo::worker
