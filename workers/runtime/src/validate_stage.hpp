#pragma once
// Validate: a delivery's bytes become an envelope checked against its contract, with the
// handler that takes it and its attempt number, or a rejection the failure stage routes
// (contract violations and bodies over a limit go to the DLQ at once, an event without a
// handler too). Pure: unit-tested without a broker.
#include <any>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "choreo/amqp/message.hpp"
#include "choreo/contracts/envelope.hpp"
#include "choreo/contracts/limits.hpp"
#include "choreo/worker/policy.hpp"
#include "handler_table.hpp"
#include "handling.hpp"

namespace choreo::worker::detail {

// A delivery that passed validation and has a handler, on its way through the stages.
struct Item {
  const amqp::Delivery* delivery;
  contracts::Envelope envelope;
  const Registered* registered;
  int attempt;
  Handling handling;                // its span in the message's trace
  bool duplicate = false;           // commit: the inbox already had it
  std::any effect_result;           // effects: what the effect returned
  std::exception_ptr effect_error;  // effects: what the effect threw
};

struct Rejection {
  FailureKind kind;
  std::string error;
  int attempt;
  std::optional<contracts::Envelope> envelope;  // when the bytes parsed
  Handling handling;
};

// The 1-based attempt of `delivery`. Only a retry copy (it comes back from a retry queue
// through the default exchange) carries an attempt number the runtime wrote; on anything
// else the header is whatever the publisher put there.
int AttemptOf(const amqp::Delivery& delivery);

// Never throws for anything about the bytes: whatever reading them throws is a rejection.
std::variant<Item, Rejection> Validate(const amqp::Delivery& delivery, const HandlerTable& handlers,
                                       const contracts::MessageLimits& limits);

}  // namespace choreo::worker::detail
