#pragma once
// The order state machine as a pure function: (current state or none, incoming fact) ->
// (new state, what to record, what to emit). No I/O, so every ordering of late, repeated
// and out-of-order events can be unit-tested exhaustively.
//
//   PLACED -> RESERVED -> PAID -> CONFIRMED, or CANCELLED(reason) from any non-terminal state.
//
// Rules:
//  - a terminal state (CONFIRMED, CANCELLED) never changes;
//  - the state never moves backwards: an event implying an earlier state is stale;
//  - an event for an order never seen creates it in the state the event implies (its
//    order.placed may still be in a retry queue);
//  - every transition emits order.status_changed with the next `sequence` of the order;
//  - entering a terminal state emits exactly one order.confirmed / order.cancelled. Those
//    carry data other events teach (customer id from order.placed, total from inventory),
//    so when a terminal state is reached before that data arrived, the terminal event is
//    held back and emitted by the event that completes it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "choreo/contracts/events.hpp"

namespace choreo::order {

using contracts::CancelReason;
using contracts::OrderStatus;

// What one incoming event says about an order, whatever its contract type.
struct OrderFact {
  std::string event_type;
  std::optional<OrderStatus> implies;  // nullopt: history only (payment.refunded)
  std::optional<CancelReason> reason;  // set when implies == kCancelled
  std::optional<std::string> details;  // human-readable cancellation details
  std::optional<std::string> customer_id;
  std::optional<std::int64_t> total_minor;
  std::optional<std::string> currency;
  std::optional<std::string> shipment_id;
  std::string at;  // when the event happened (the envelope's occurred_at)

  bool operator==(const OrderFact&) const = default;
};

// One overload per event the order worker subscribes to (contracts/topology.cpp).
OrderFact FactOf(const contracts::OrderPlaced& e, std::string at);
OrderFact FactOf(const contracts::InventoryReserved& e, std::string at);
OrderFact FactOf(const contracts::InventoryRejected& e, std::string at);
OrderFact FactOf(const contracts::InventoryCommitted& e, std::string at);
OrderFact FactOf(const contracts::InventoryReleased& e, std::string at);
OrderFact FactOf(const contracts::PaymentCaptured& e, std::string at);
OrderFact FactOf(const contracts::PaymentDeclined& e, std::string at);
OrderFact FactOf(const contracts::PaymentRefunded& e, std::string at);
OrderFact FactOf(const contracts::ShipmentScheduled& e, std::string at);
OrderFact FactOf(const contracts::ShipmentRejected& e, std::string at);

struct OrderState {
  OrderStatus status = OrderStatus::kPlaced;
  std::optional<CancelReason> reason;
  std::optional<std::string> details;
  // Learnt from the events as they arrive; the first value seen is kept.
  std::optional<std::string> customer_id;
  std::optional<std::int64_t> total_minor;
  std::optional<std::string> currency;
  std::optional<std::string> shipment_id;
  std::int64_t sequence = 0;  // of the last order.status_changed emitted
  bool terminal_emitted = false;
  std::optional<std::string> terminal_at;  // when the terminal state was entered

  bool operator==(const OrderState&) const = default;
};

bool IsTerminal(OrderStatus status);

enum class Outcome {
  kCreated,        // first event of an unknown order: created in the implied state
  kTransition,     // moved forward (or to cancelled)
  kUnchanged,      // already in the implied state (a repeated business event)
  kStale,          // implies an earlier state: ignored
  kAfterTerminal,  // the order is already confirmed or cancelled: ignored
  kHistoryOnly,    // the event implies no state (payment.refunded)
};
std::string_view ToString(Outcome outcome);

struct Step {
  Outcome outcome = Outcome::kUnchanged;
  // The state to store; nullopt only while the order is still unknown (history only).
  std::optional<OrderState> state;
  // Whether `state` differs from the current one (status or anything learnt).
  bool state_changed = false;
  // For the history row.
  std::optional<OrderStatus> from;
  std::optional<OrderStatus> to;
  // To emit, in this order.
  std::optional<contracts::OrderStatusChanged> status_changed;
  std::optional<contracts::OrderConfirmed> confirmed;
  std::optional<contracts::OrderCancelled> cancelled;
};

Step Apply(std::string_view order_id, const std::optional<OrderState>& current, const OrderFact& fact);

}  // namespace choreo::order
