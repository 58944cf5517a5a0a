#include "choreo/order/order_state.hpp"

#include <utility>

namespace choreo::order {
namespace {

// order.cancelled allows 1000 characters of details; upstream wording is not ours to trust.
constexpr std::size_t kMaxDetails = 1000;

std::optional<std::string> Details(std::string text) {
  if (text.empty()) return std::nullopt;
  if (text.size() > kMaxDetails) text.resize(kMaxDetails);
  return text;
}

OrderFact Fact(std::string_view type, std::optional<OrderStatus> implies, std::string at) {
  OrderFact fact;
  fact.event_type = std::string(type);
  fact.implies = implies;
  fact.at = std::move(at);
  return fact;
}

OrderFact Cancel(std::string_view type, CancelReason reason, std::string details, std::string at) {
  OrderFact fact = Fact(type, OrderStatus::kCancelled, std::move(at));
  fact.reason = reason;
  fact.details = Details(std::move(details));
  return fact;
}

// Forward order of the happy path. Both terminal states rank last; cancelled is reachable
// from every non-terminal state, so its rank is never compared.
int Rank(OrderStatus status) {
  switch (status) {
    case OrderStatus::kPlaced: return 0;
    case OrderStatus::kReserved: return 1;
    case OrderStatus::kPaid: return 2;
    case OrderStatus::kConfirmed: return 3;
    case OrderStatus::kCancelled: return 3;
  }
  return 0;
}

template <class T>
void LearnOnce(std::optional<T>& slot, const std::optional<T>& value) {
  if (!slot && value) slot = value;
}

void Learn(OrderState& state, const OrderFact& fact) {
  LearnOnce(state.customer_id, fact.customer_id);
  // Total and currency belong together: never mix one event's amount with another's code.
  if (!state.total_minor && fact.total_minor && fact.currency) {
    state.total_minor = fact.total_minor;
    state.currency = fact.currency;
  }
  LearnOnce(state.shipment_id, fact.shipment_id);
}

void Enter(OrderState& state, const OrderFact& fact) {
  state.status = *fact.implies;
  if (state.status == OrderStatus::kCancelled) {
    state.reason = fact.reason;
    state.details = fact.details;
  }
  if (IsTerminal(state.status)) state.terminal_at = fact.at;
  ++state.sequence;
}

contracts::OrderStatusChanged StatusChanged(std::string_view order_id, const OrderState& state,
                                            std::optional<OrderStatus> from, const std::string& at) {
  contracts::OrderStatusChanged e;
  e.order_id = std::string(order_id);
  e.sequence = state.sequence;
  e.from = from;
  e.to = state.status;
  if (state.status == OrderStatus::kCancelled) e.reason = state.reason;
  e.total_minor = state.total_minor;
  e.currency = state.currency;
  e.at = at;
  return e;
}

// `fact` with the order's total, for the events that state it.
OrderFact WithTotal(OrderFact fact, std::int64_t total_minor, const std::string& currency) {
  fact.total_minor = total_minor;
  fact.currency = currency;
  return fact;
}

// Emits the terminal event once everything it must carry is known.
void MaybeEmitTerminal(std::string_view order_id, OrderState& state, Step& step) {
  if (!IsTerminal(state.status) || state.terminal_emitted || !state.customer_id) return;
  const std::string at = state.terminal_at.value_or("");
  if (state.status == OrderStatus::kConfirmed) {
    if (!state.total_minor || !state.currency || !state.shipment_id) return;
    step.confirmed = contracts::OrderConfirmed{.order_id = std::string(order_id),
                                               .customer_id = *state.customer_id,
                                               .total_minor = *state.total_minor,
                                               .currency = *state.currency,
                                               .shipment_id = *state.shipment_id,
                                               .confirmed_at = at};
  } else {
    step.cancelled = contracts::OrderCancelled{.order_id = std::string(order_id),
                                               .customer_id = *state.customer_id,
                                               .reason = state.reason.value_or(CancelReason::kInsufficientStock),
                                               .details = state.details,
                                               .cancelled_at = at};
  }
  state.terminal_emitted = true;
}

}  // namespace

OrderFact FactOf(const contracts::OrderPlaced& e, std::string at) {
  OrderFact fact = Fact(e.kType, OrderStatus::kPlaced, std::move(at));
  fact.customer_id = e.customer_id;
  return fact;
}

OrderFact FactOf(const contracts::InventoryReserved& e, std::string at) {
  return WithTotal(Fact(e.kType, OrderStatus::kReserved, std::move(at)), e.total_minor, e.currency);
}

OrderFact FactOf(const contracts::InventoryRejected& e, std::string at) {
  const CancelReason reason = e.reason == contracts::RejectionReason::kUnknownSku ? CancelReason::kUnknownSku
                                                                                  : CancelReason::kInsufficientStock;
  return Cancel(e.kType, reason, e.details, std::move(at));
}

// Inventory commits only after a capture, so a commit proves the order is paid even when
// payment.captured has not been processed yet.
OrderFact FactOf(const contracts::InventoryCommitted& e, std::string at) {
  return WithTotal(Fact(e.kType, OrderStatus::kPaid, std::move(at)), e.total_minor, e.currency);
}

// Every release ends the order; the release reason names the cause, whose own event
// (payment.declined, shipment.rejected) may not have been processed yet. Both imply the
// same cancellation, so whichever comes first decides nothing the other would not.
OrderFact FactOf(const contracts::InventoryReleased& e, std::string at) {
  switch (e.reason) {
    case contracts::ReleaseReason::kExpired:
      return Cancel(e.kType, CancelReason::kReservationExpired, "the reservation expired before payment completed",
                    std::move(at));
    case contracts::ReleaseReason::kPaymentDeclined:
      return Cancel(e.kType, CancelReason::kPaymentDeclined, "payment declined", std::move(at));
    case contracts::ReleaseReason::kShipmentRejected:
      return Cancel(e.kType, CancelReason::kShipmentRejected, "shipment rejected", std::move(at));
  }
  return Cancel(e.kType, CancelReason::kReservationExpired, "", std::move(at));
}

OrderFact FactOf(const contracts::PaymentCaptured& e, std::string at) {
  return WithTotal(Fact(e.kType, OrderStatus::kPaid, std::move(at)), e.amount_minor, e.currency);
}

OrderFact FactOf(const contracts::PaymentDeclined& e, std::string at) {
  return WithTotal(Cancel(e.kType, CancelReason::kPaymentDeclined,
                          e.reason.empty() ? "payment declined" : "payment declined: " + e.reason, std::move(at)),
                   e.amount_minor, e.currency);
}

// A refund follows a cancellation that its cause already reported; it only adds history.
OrderFact FactOf(const contracts::PaymentRefunded& e, std::string at) {
  return Fact(e.kType, std::nullopt, std::move(at));
}

OrderFact FactOf(const contracts::ShipmentScheduled& e, std::string at) {
  OrderFact fact = Fact(e.kType, OrderStatus::kConfirmed, std::move(at));
  fact.shipment_id = e.shipment_id;
  return fact;
}

OrderFact FactOf(const contracts::ShipmentRejected& e, std::string at) {
  return Cancel(e.kType, CancelReason::kShipmentRejected, e.details.empty() ? "shipment rejected" : e.details,
                std::move(at));
}

bool IsTerminal(OrderStatus status) {
  return status == OrderStatus::kConfirmed || status == OrderStatus::kCancelled;
}

std::string_view ToString(Outcome outcome) {
  switch (outcome) {
    case Outcome::kCreated: return "created";
    case Outcome::kTransition: return "transition";
    case Outcome::kUnchanged: return "unchanged";
    case Outcome::kStale: return "stale";
    case Outcome::kAfterTerminal: return "after_terminal";
    case Outcome::kHistoryOnly: return "history_only";
  }
  return "unknown";
}

Step Apply(std::string_view order_id, const std::optional<OrderState>& current, const OrderFact& fact) {
  Step step;
  if (!current) {
    if (!fact.implies) {
      step.outcome = Outcome::kHistoryOnly;
      return step;
    }
    OrderState state;
    Learn(state, fact);
    Enter(state, fact);
    step.outcome = Outcome::kCreated;
    step.to = state.status;
    step.status_changed = StatusChanged(order_id, state, std::nullopt, fact.at);
    MaybeEmitTerminal(order_id, state, step);
    step.state = std::move(state);
    step.state_changed = true;
    return step;
  }

  OrderState state = *current;
  // Once the terminal event is out, nothing more is needed, and nothing more is stored.
  const bool settled = IsTerminal(current->status) && current->terminal_emitted;
  if (!settled) Learn(state, fact);
  step.from = current->status;
  if (!fact.implies) {
    step.outcome = Outcome::kHistoryOnly;
  } else if (IsTerminal(current->status)) {
    step.outcome = Outcome::kAfterTerminal;
  } else if (*fact.implies == current->status) {
    step.outcome = Outcome::kUnchanged;
  } else if (*fact.implies == OrderStatus::kCancelled || Rank(*fact.implies) > Rank(current->status)) {
    Enter(state, fact);
    step.outcome = Outcome::kTransition;
    step.status_changed = StatusChanged(order_id, state, current->status, fact.at);
  } else {
    step.outcome = Outcome::kStale;
  }
  step.to = state.status;
  // Also after a non-transition: the event may carry what a held-back terminal event lacked.
  MaybeEmitTerminal(order_id, state, step);
  step.state_changed = state != *current;
  step.state = std::move(state);
  return step;
}

}  // namespace choreo::order
