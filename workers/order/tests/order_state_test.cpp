// The order state machine without I/O: every (state, event) pair, and every arrival
// order of the events of each flow of docs/architecture.md, The order flow.
#include "choreo/order/order_state.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <vector>

namespace choreo::order {
namespace {

using contracts::ToString;
constexpr std::string_view kOrder = "ord-1";
constexpr std::string_view kAt = "2024-05-01T12:00:00.000Z";

// One of each event the worker handles, as a producer would send it.
namespace ev {
// `event` as one of kOrder's, received at `at`.
template <class E>
OrderFact Of(E event, std::string at) {
  event.order_id = std::string(kOrder);
  return FactOf(event, std::move(at));
}
OrderFact Placed() { return Of(contracts::OrderPlaced{.customer_id = "cust-1"}, "t-placed"); }
OrderFact Reserved() {
  return Of(contracts::InventoryReserved{.reservation_id = "res-1", .total_minor = 2500, .currency = "EUR"},
            "t-reserved");
}
OrderFact Rejected(contracts::RejectionReason reason = contracts::RejectionReason::kInsufficientStock) {
  return Of(contracts::InventoryRejected{.reason = reason, .details = "sku-9 short"}, "t-rejected");
}
OrderFact Committed() {
  return Of(contracts::InventoryCommitted{.reservation_id = "res-1", .total_minor = 2500, .currency = "EUR"},
            "t-committed");
}
OrderFact Released(contracts::ReleaseReason reason) {
  return Of(contracts::InventoryReleased{.reservation_id = "res-1", .reason = reason}, "t-released");
}
OrderFact Captured() {
  return Of(contracts::PaymentCaptured{.reservation_id = "res-1", .payment_id = "ch-1", .amount_minor = 2500,
                                       .currency = "EUR"},
            "t-captured");
}
OrderFact Declined() {
  return Of(contracts::PaymentDeclined{.reservation_id = "res-1", .amount_minor = 2500, .currency = "EUR",
                                       .reason = "card_declined"},
            "t-declined");
}
OrderFact Refunded() {
  return Of(contracts::PaymentRefunded{.payment_id = "ch-1", .refund_id = "rf-1", .amount_minor = 2500,
                                       .currency = "EUR"},
            "t-refunded");
}
OrderFact Scheduled() {
  return Of(contracts::ShipmentScheduled{.reservation_id = "res-1", .shipment_id = "shp-1", .carrier = "parcelco"},
            "t-scheduled");
}
OrderFact ShipmentRejected() {
  return Of(contracts::ShipmentRejected{.reservation_id = "res-1", .details = "no delivery to AQ"}, "t-shiprej");
}
}  // namespace ev

// A fully known order in `status`, as if every earlier event had been processed.
OrderState Known(OrderStatus status, std::optional<CancelReason> reason = std::nullopt) {
  OrderState s;
  s.status = status;
  s.reason = reason;
  s.customer_id = "cust-1";
  s.total_minor = 2500;
  s.currency = "EUR";
  s.sequence = 3;
  if (status == OrderStatus::kConfirmed) s.shipment_id = "shp-1";
  if (IsTerminal(status)) {
    s.terminal_emitted = true;
    s.terminal_at = std::string(kAt);
  }
  return s;
}

// Replays `facts` from nothing; collects what a worker would store and emit.
struct Replayed {
  std::optional<OrderState> state;
  std::vector<Step> steps;
  std::vector<contracts::OrderStatusChanged> changes;
  std::vector<contracts::OrderConfirmed> confirmed;
  std::vector<contracts::OrderCancelled> cancelled;
};

Replayed Replay(const std::vector<OrderFact>& facts) {
  Replayed run;
  for (const OrderFact& fact : facts) {
    Step step = Apply(kOrder, run.state, fact);
    if (step.state) run.state = step.state;
    if (step.status_changed) run.changes.push_back(*step.status_changed);
    if (step.confirmed) run.confirmed.push_back(*step.confirmed);
    if (step.cancelled) run.cancelled.push_back(*step.cancelled);
    run.steps.push_back(std::move(step));
  }
  return run;
}

// ---- every (state, event) pair ----

struct Cell {
  const char* event;
  OrderFact (*make)();
  // Expected status after the event, per current state: none, placed, reserved, paid,
  // confirmed, cancelled. nullopt: the order stays unknown.
  std::optional<OrderStatus> expected[6];
};

constexpr auto P = OrderStatus::kPlaced;
constexpr auto R = OrderStatus::kReserved;
constexpr auto Pd = OrderStatus::kPaid;
constexpr auto C = OrderStatus::kConfirmed;
constexpr auto X = OrderStatus::kCancelled;
constexpr std::optional<OrderStatus> kNone = std::nullopt;

const Cell kTable[] = {
    {"order.placed", [] { return ev::Placed(); }, {P, P, R, Pd, C, X}},
    {"inventory.reserved", [] { return ev::Reserved(); }, {R, R, R, Pd, C, X}},
    {"inventory.rejected", [] { return ev::Rejected(); }, {X, X, X, X, C, X}},
    {"inventory.committed", [] { return ev::Committed(); }, {Pd, Pd, Pd, Pd, C, X}},
    {"inventory.released(expired)", [] { return ev::Released(contracts::ReleaseReason::kExpired); }, {X, X, X, X, C, X}},
    {"inventory.released(payment_declined)", [] { return ev::Released(contracts::ReleaseReason::kPaymentDeclined); }, {X, X, X, X, C, X}},
    {"inventory.released(shipment_rejected)", [] { return ev::Released(contracts::ReleaseReason::kShipmentRejected); }, {X, X, X, X, C, X}},
    {"payment.captured", [] { return ev::Captured(); }, {Pd, Pd, Pd, Pd, C, X}},
    {"payment.declined", [] { return ev::Declined(); }, {X, X, X, X, C, X}},
    {"payment.refunded", [] { return ev::Refunded(); }, {kNone, P, R, Pd, C, X}},
    {"shipment.scheduled", [] { return ev::Scheduled(); }, {C, C, C, C, C, X}},
    {"shipment.rejected", [] { return ev::ShipmentRejected(); }, {X, X, X, X, C, X}},
};

const std::optional<OrderStatus> kStates[] = {kNone, P, R, Pd, C, X};

int Rank(OrderStatus s) {
  return s == P ? 0 : s == R ? 1 : s == Pd ? 2 : 3;
}

TEST(OrderStateTable, EveryEventInEveryState) {
  for (const Cell& cell : kTable) {
    for (int i = 0; i < 6; ++i) {
      SCOPED_TRACE(std::string(cell.event) + " in " +
                   (kStates[i] ? std::string(ToString(*kStates[i])) : std::string("(unknown)")));
      const OrderFact fact = cell.make();
      std::optional<OrderState> current;
      if (kStates[i]) current = Known(*kStates[i], *kStates[i] == X ? std::optional(CancelReason::kUnknownSku) : std::nullopt);
      const Step step = Apply(kOrder, current, fact);

      const std::optional<OrderStatus> expected = cell.expected[i];
      ASSERT_EQ(step.state.has_value(), expected.has_value());
      if (!expected) {
        EXPECT_EQ(step.outcome, Outcome::kHistoryOnly);
        EXPECT_FALSE(step.status_changed || step.confirmed || step.cancelled);
        continue;
      }
      EXPECT_EQ(step.state->status, *expected);
      EXPECT_EQ(step.to, expected);
      EXPECT_EQ(step.from, kStates[i]);

      const bool moved = !current || current->status != *expected;
      EXPECT_EQ(step.status_changed.has_value(), moved);
      if (!current) {
        EXPECT_EQ(step.outcome, Outcome::kCreated);
        EXPECT_EQ(step.state->sequence, 1);
        EXPECT_FALSE(step.status_changed->from.has_value());
      } else if (moved) {
        EXPECT_EQ(step.outcome, Outcome::kTransition);
        EXPECT_EQ(step.state->sequence, current->sequence + 1);
        EXPECT_EQ(step.status_changed->from, current->status);
        EXPECT_EQ(step.status_changed->sequence, current->sequence + 1);
        // Never backwards; cancellation is the only move that is not forward.
        if (*expected != X) {
          EXPECT_GT(Rank(*expected), Rank(current->status));
        }
      } else {
        EXPECT_EQ(step.state->sequence, current->sequence);
        if (!fact.implies) {
          EXPECT_EQ(step.outcome, Outcome::kHistoryOnly);
        } else if (IsTerminal(current->status)) {
          EXPECT_EQ(step.outcome, Outcome::kAfterTerminal);
        } else if (*fact.implies == current->status) {
          EXPECT_EQ(step.outcome, Outcome::kUnchanged);
        } else {
          EXPECT_EQ(step.outcome, Outcome::kStale);
        }
        // A settled order never changes, not even what it knows.
        if (IsTerminal(current->status)) {
          EXPECT_EQ(*step.state, *current);
          EXPECT_FALSE(step.state_changed);
        }
      }
      if (step.status_changed) {
        EXPECT_EQ(step.status_changed->order_id, kOrder);
        EXPECT_EQ(step.status_changed->to, *expected);
        EXPECT_EQ(step.status_changed->reason.has_value(), *expected == X);
        EXPECT_EQ(step.status_changed->at, fact.at);
      }
      // A terminal event exactly when entering a terminal state of a known customer.
      const bool enters_terminal = moved && IsTerminal(*expected);
      const bool customer_known = current.has_value() || fact.customer_id.has_value();
      const bool data_known = *expected != C || current.has_value();  // created-confirmed lacks the total
      EXPECT_EQ(step.confirmed.has_value(), enters_terminal && *expected == C && customer_known && data_known);
      EXPECT_EQ(step.cancelled.has_value(), enters_terminal && *expected == X && customer_known);
    }
  }
}

TEST(OrderStateTable, CancellationReasonComesFromTheEvent) {
  const std::pair<OrderFact, CancelReason> cases[] = {
      {ev::Rejected(contracts::RejectionReason::kInsufficientStock), CancelReason::kInsufficientStock},
      {ev::Rejected(contracts::RejectionReason::kUnknownSku), CancelReason::kUnknownSku},
      {ev::Declined(), CancelReason::kPaymentDeclined},
      {ev::Released(contracts::ReleaseReason::kExpired), CancelReason::kReservationExpired},
      {ev::Released(contracts::ReleaseReason::kPaymentDeclined), CancelReason::kPaymentDeclined},
      {ev::Released(contracts::ReleaseReason::kShipmentRejected), CancelReason::kShipmentRejected},
      {ev::ShipmentRejected(), CancelReason::kShipmentRejected},
  };
  for (const auto& [fact, reason] : cases) {
    SCOPED_TRACE(fact.event_type);
    const Step step = Apply(kOrder, Known(R), fact);
    ASSERT_TRUE(step.cancelled.has_value());
    EXPECT_EQ(step.cancelled->reason, reason);
    EXPECT_EQ(step.cancelled->customer_id, "cust-1");
    EXPECT_EQ(step.cancelled->cancelled_at, fact.at);
    EXPECT_TRUE(step.cancelled->details.has_value());
    EXPECT_EQ(step.status_changed->reason, reason);
    EXPECT_EQ(step.state->reason, reason);
  }
}

TEST(OrderStateTable, DetailsAreBoundedForTheContract) {
  contracts::InventoryRejected e{.order_id = "o", .details = std::string(5000, 'x')};
  EXPECT_EQ(FactOf(e, "t").details->size(), 1000u);
  e.details.clear();
  EXPECT_FALSE(FactOf(e, "t").details.has_value());
}

// ---- flows ----

TEST(OrderStateFlow, HappyPathEmitsEveryTransitionThenOneConfirmation) {
  const Replayed run = Replay({ev::Placed(), ev::Reserved(), ev::Captured(), ev::Committed(), ev::Scheduled()});
  ASSERT_EQ(run.changes.size(), 4u);
  const OrderStatus to[] = {P, R, Pd, C};
  for (std::size_t i = 0; i < run.changes.size(); ++i) {
    EXPECT_EQ(run.changes[i].sequence, static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(run.changes[i].to, to[i]);
    EXPECT_EQ(run.changes[i].from, i == 0 ? std::nullopt : std::optional(to[i - 1]));
  }
  EXPECT_FALSE(run.changes[0].total_minor.has_value());
  EXPECT_EQ(run.changes[1].total_minor, 2500);
  EXPECT_EQ(run.changes[1].currency, "EUR");
  EXPECT_EQ(run.steps[3].outcome, Outcome::kUnchanged);  // committed while paid
  ASSERT_EQ(run.confirmed.size(), 1u);
  EXPECT_EQ(run.confirmed[0], (contracts::OrderConfirmed{.order_id = std::string(kOrder), .customer_id = "cust-1",
                                                         .total_minor = 2500, .currency = "EUR",
                                                         .shipment_id = "shp-1", .confirmed_at = "t-scheduled"}));
  EXPECT_TRUE(run.cancelled.empty());
  EXPECT_TRUE(run.state->terminal_emitted);
}

TEST(OrderStateFlow, RepeatedBusinessEventsChangeNothing) {
  std::vector<OrderFact> facts = {ev::Placed(), ev::Reserved(), ev::Captured(), ev::Committed(), ev::Scheduled()};
  const Replayed once = Replay(facts);
  std::vector<OrderFact> twice;
  for (const OrderFact& f : facts) {
    twice.push_back(f);
    twice.push_back(f);
  }
  twice.push_back(ev::Scheduled());
  const Replayed run = Replay(twice);
  EXPECT_EQ(run.changes, once.changes);
  EXPECT_EQ(run.confirmed, once.confirmed);
  EXPECT_EQ(run.state, once.state);
  for (std::size_t i = 1; i < twice.size(); i += 2) {
    EXPECT_FALSE(run.steps[i].state_changed) << i;
  }
}

TEST(OrderStateFlow, EventBeforeOrderPlacedCreatesTheOrderAndHoldsTheTerminalEventForTheCustomer) {
  Replayed run = Replay({ev::Rejected(contracts::RejectionReason::kUnknownSku)});
  EXPECT_EQ(run.steps[0].outcome, Outcome::kCreated);
  EXPECT_EQ(run.state->status, X);
  ASSERT_EQ(run.changes.size(), 1u);
  EXPECT_FALSE(run.changes[0].from.has_value());
  EXPECT_TRUE(run.cancelled.empty());  // order.cancelled must name the customer
  EXPECT_FALSE(run.state->terminal_emitted);

  const Step late = Apply(kOrder, run.state, ev::Placed());
  EXPECT_EQ(late.outcome, Outcome::kAfterTerminal);
  EXPECT_FALSE(late.status_changed.has_value());
  ASSERT_TRUE(late.cancelled.has_value());
  EXPECT_EQ(late.cancelled->customer_id, "cust-1");
  EXPECT_EQ(late.cancelled->reason, CancelReason::kUnknownSku);
  EXPECT_EQ(late.cancelled->cancelled_at, "t-rejected");  // when it was cancelled, not when we learnt who
  EXPECT_TRUE(late.state_changed);

  const Step again = Apply(kOrder, late.state, ev::Placed());
  EXPECT_FALSE(again.cancelled || again.confirmed || again.status_changed);
  EXPECT_FALSE(again.state_changed);
}

TEST(OrderStateFlow, ConfirmationWaitsForTheTotal) {
  Replayed run = Replay({ev::Placed(), ev::Scheduled()});
  EXPECT_EQ(run.state->status, C);
  EXPECT_TRUE(run.confirmed.empty());
  const Step stale = Apply(kOrder, run.state, ev::Reserved());
  EXPECT_EQ(stale.outcome, Outcome::kAfterTerminal);
  ASSERT_TRUE(stale.confirmed.has_value());
  EXPECT_EQ(stale.confirmed->total_minor, 2500);
  EXPECT_EQ(stale.confirmed->shipment_id, "shp-1");
}

TEST(OrderStateFlow, RefundBeforeAnythingElseIsHistoryOnly) {
  const Step step = Apply(kOrder, std::nullopt, ev::Refunded());
  EXPECT_EQ(step.outcome, Outcome::kHistoryOnly);
  EXPECT_FALSE(step.state.has_value());
  EXPECT_FALSE(step.state_changed);
}

TEST(OrderStateFlow, PaymentAmountServesAsTotalWhenInventoryIsLate) {
  const Replayed run = Replay({ev::Placed(), ev::Captured()});
  EXPECT_EQ(run.changes.back().total_minor, 2500);
  EXPECT_EQ(run.changes.back().currency, "EUR");
}

// Every arrival order of a flow's events (each twice, to include repeats) ends in the
// same terminal state with exactly one terminal event, sequences 1..n without gaps, and
// no status_changed that moves backwards.
struct FlowCase {
  const char* name;
  std::vector<OrderFact> facts;
  OrderStatus final_status;
  std::optional<CancelReason> reason;
};

void CheckEveryArrivalOrder(const FlowCase& flow) {
  SCOPED_TRACE(flow.name);
  std::vector<int> order(flow.facts.size());
  std::iota(order.begin(), order.end(), 0);
  int permutations = 0;
  do {
    std::vector<OrderFact> facts;
    for (int i : order) facts.push_back(flow.facts[i]);
    for (int i : order) facts.push_back(flow.facts[i]);  // redelivered with new message ids
    const Replayed run = Replay(facts);
    ++permutations;
    ASSERT_TRUE(run.state.has_value());
    ASSERT_EQ(run.state->status, flow.final_status);
    ASSERT_EQ(run.state->reason, flow.reason);
    ASSERT_TRUE(run.state->terminal_emitted);
    ASSERT_EQ(run.confirmed.size() + run.cancelled.size(), 1u);
    if (flow.final_status == C) {
      ASSERT_EQ(run.confirmed.size(), 1u);
      ASSERT_EQ(run.confirmed[0].customer_id, "cust-1");
      ASSERT_EQ(run.confirmed[0].total_minor, 2500);
    } else {
      ASSERT_EQ(run.cancelled.size(), 1u);
      ASSERT_EQ(run.cancelled[0].reason, *flow.reason);
    }
    ASSERT_FALSE(run.changes.empty());
    for (std::size_t i = 0; i < run.changes.size(); ++i) {
      ASSERT_EQ(run.changes[i].sequence, static_cast<std::int64_t>(i + 1));
      if (i > 0) {
        ASSERT_EQ(run.changes[i].from, run.changes[i - 1].to);
        ASSERT_FALSE(IsTerminal(run.changes[i - 1].to));
        if (run.changes[i].to != X) {
          ASSERT_GT(Rank(run.changes[i].to), Rank(run.changes[i - 1].to));
        }
      }
    }
    ASSERT_EQ(run.changes.back().to, flow.final_status);
    ASSERT_EQ(run.state->sequence, static_cast<std::int64_t>(run.changes.size()));
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_GT(permutations, 1);
}

TEST(OrderStateFlow, EveryArrivalOrderOfEveryFlowEndsInOneTerminalEvent) {
  using contracts::ReleaseReason;
  const FlowCase flows[] = {
      {"confirmed", {ev::Placed(), ev::Reserved(), ev::Captured(), ev::Committed(), ev::Scheduled()}, C, std::nullopt},
      {"insufficient stock", {ev::Placed(), ev::Rejected()}, X, CancelReason::kInsufficientStock},
      {"unknown sku", {ev::Placed(), ev::Rejected(contracts::RejectionReason::kUnknownSku)}, X, CancelReason::kUnknownSku},
      {"payment declined",
       {ev::Placed(), ev::Reserved(), ev::Declined(), ev::Released(ReleaseReason::kPaymentDeclined)},
       X,
       CancelReason::kPaymentDeclined},
      {"reservation expired before payment",
       {ev::Placed(), ev::Reserved(), ev::Released(ReleaseReason::kExpired)},
       X,
       CancelReason::kReservationExpired},
      {"reservation expired, then captured and refunded",
       {ev::Placed(), ev::Reserved(), ev::Captured(), ev::Released(ReleaseReason::kExpired), ev::Refunded()},
       X,
       CancelReason::kReservationExpired},
      {"shipment rejected",
       {ev::Placed(), ev::Reserved(), ev::Captured(), ev::Committed(), ev::ShipmentRejected(),
        ev::Released(ReleaseReason::kShipmentRejected), ev::Refunded()},
       X,
       CancelReason::kShipmentRejected},
  };
  for (const FlowCase& flow : flows) CheckEveryArrivalOrder(flow);
}

TEST(OrderStateNames, OutcomesHaveNames) {
  EXPECT_EQ(ToString(Outcome::kCreated), "created");
  EXPECT_EQ(ToString(Outcome::kTransition), "transition");
  EXPECT_EQ(ToString(Outcome::kUnchanged), "unchanged");
  EXPECT_EQ(ToString(Outcome::kStale), "stale");
  EXPECT_EQ(ToString(Outcome::kAfterTerminal), "after_terminal");
  EXPECT_EQ(ToString(Outcome::kHistoryOnly), "history_only");
}

}  // namespace
}  // namespace choreo::order
