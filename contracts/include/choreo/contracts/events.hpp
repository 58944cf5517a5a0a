#pragma once
// Every event of the order flow, and the typed way in and out of an envelope.
//
// The event types themselves are generated at build time from their JSON Schemas
// (contracts/codegen; docs/add-an-event.md): one struct per schemas/<type>/v<major>.json,
// in the header of its context (inventory_events.hpp, ...), all of them in AllEvents.
// Adding an event takes its schema, its golden example (examples/<type>.v<major>.json) and
// its subscribers in topology.cpp; nothing else is written by hand.
//
// Compatibility rules: adding an optional field is a minor version ("1.1"), readers
// ignore fields they do not know; removing or retyping a field, or adding a required
// one, is a new major version ("2.0") that old readers reject.
#include <concepts>
#include <string>
#include <string_view>

#include "choreo/contracts/envelope.hpp"
#include "choreo/contracts/error.hpp"
#include "choreo/contracts/generated/all_events.hpp"
#include "choreo/contracts/names.hpp"

namespace choreo::contracts {

template <class E>
concept Event = Described<E> && requires(const E& event) {
  { E::kType } -> std::convertible_to<std::string_view>;
  { E::kVersion } -> std::convertible_to<std::string_view>;
  { E::kExchange } -> std::convertible_to<std::string_view>;
  { E::kProducer } -> std::convertible_to<std::string_view>;
  // Every event belongs to one order; it becomes the correlation id.
  { event.order_id } -> std::convertible_to<std::string>;
};

// An envelope for `event` as published by its producer: correlation id = order id.
template <Event E>
Envelope MakeEnvelope(const E& event, std::string_view causation_id = {}) {
  Envelope envelope = MakeEnvelope(E::kType, event.order_id, causation_id, E::kProducer,
                                   nlohmann::json(event));
  envelope.version = std::string(E::kVersion);
  return envelope;
}

// The usual case inside a handler: `cause` is the message being handled.
template <Event E>
Envelope MakeEnvelope(const E& event, const Envelope& cause) {
  return MakeEnvelope(event, std::string_view(cause.message_id));
}

// The typed payload of an envelope (normally one that passed Validate()). Throws
// ContractError if the envelope holds another type or the payload does not fit.
template <Event E>
E PayloadAs(const Envelope& envelope) {
  if (envelope.type != E::kType) {
    throw ContractError(ErrorKind::kInvalidValue, "/type",
                        "expected '" + std::string(E::kType) + "', got '" + envelope.type + "'");
  }
  E event{};
  try {
    detail::Read(envelope.payload, event);
  } catch (const ContractError& e) {
    throw e.Nested("payload");
  }
  return event;
}

}  // namespace choreo::contracts
