// The order worker in-process against a real broker and store (SQLite and PostgreSQL):
// events in on the context exchanges, order events out on `orders`, state and history in
// its tables.
#include "choreo/contracts/events.hpp"
#include "choreo/contracts/time.hpp"
#include "choreo/order/order_worker.hpp"
#include "order_events.hpp"
#include "choreo/testing/worker_fixture.hpp"

namespace choreo::order {
namespace {

using namespace std::chrono_literals;
using contracts::Envelope;
using testing::DbKind;

class OrderWorkerIt : public testing::WorkerFixture<::testing::TestWithParam<DbKind>> {
 protected:
  void SetUp() override {
    OpenRig("order", GetParam());
    ASSERT_TRUE(worker_.Start(RigOptions("order"), [](worker::Worker& w) { Register(w); }));
    // Only the worker's own events: order.placed travels on the same exchange.
    probe_->Observe("orders", {"order.status_changed", "order.confirmed", "order.cancelled"});
  }

  template <contracts::Event E>
  Envelope Publish(const E& event) {
    ++published_;
    return probe_->Publish(event);
  }

  // Everything the worker emitted, up to the first status change of a fresh marker order.
  std::vector<Envelope> DrainUntilMarker() {
    return probe_->DrainUntilAnswered(Placed("marker-" + contracts::NewUuid()), 20s);
  }

  bool WaitHandled() {
    return testing::WaitFor([&] { return worker_->Stats().handled >= published_; }, 20s);
  }

  std::optional<OrderState> State(const std::string& order_id) {
    return worker_->Store().InTransaction([&](store::Tx& tx) { return LoadOrder(tx, order_id); });
  }
  std::vector<HistoryEntry> History(const std::string& order_id) {
    return worker_->Store().InTransaction([&](store::Tx& tx) { return LoadHistory(tx, order_id); });
  }

  uint64_t published_ = 0;
};

TEST_P(OrderWorkerIt, HappyPathReportsEveryTransitionAndOneConfirmation) {
  const std::string order = contracts::NewUuid();
  const Envelope placed = Publish(Placed(order));
  Publish(Reserved(order));
  Publish(Captured(order));
  Publish(Committed(order));
  const Envelope scheduled = Publish(Scheduled(order));
  ASSERT_TRUE(WaitHandled());

  const std::vector<Envelope> out = DrainUntilMarker();
  std::vector<contracts::OrderStatusChanged> changes;
  std::vector<contracts::OrderConfirmed> confirmed;
  for (const Envelope& env : out) {
    EXPECT_EQ(env.correlation_id, order);
    EXPECT_EQ(env.producer, "order");
    if (env.type == "order.status_changed") changes.push_back(contracts::PayloadAs<contracts::OrderStatusChanged>(env));
    if (env.type == "order.confirmed") {
      confirmed.push_back(contracts::PayloadAs<contracts::OrderConfirmed>(env));
      EXPECT_EQ(env.causation_id, scheduled.message_id);
    }
    EXPECT_NE(env.type, "order.cancelled");
  }
  ASSERT_EQ(changes.size(), 4u);
  const OrderStatus to[] = {OrderStatus::kPlaced, OrderStatus::kReserved, OrderStatus::kPaid, OrderStatus::kConfirmed};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(changes[i].sequence, static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(changes[i].to, to[i]);
  }
  EXPECT_EQ(out.front().causation_id, placed.message_id);
  ASSERT_EQ(confirmed.size(), 1u);
  EXPECT_EQ(confirmed[0].customer_id, "cust-1001");
  EXPECT_EQ(confirmed[0].total_minor, 2500);
  EXPECT_EQ(confirmed[0].currency, "EUR");
  EXPECT_EQ(confirmed[0].shipment_id, "shp-1");

  const auto state = State(order);
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->status, OrderStatus::kConfirmed);
  EXPECT_EQ(state->sequence, 4);
  EXPECT_TRUE(state->terminal_emitted);
  const auto history = History(order);
  ASSERT_EQ(history.size(), 5u);
  EXPECT_EQ(history[0].event_type, "order.placed");
  EXPECT_EQ(history[0].outcome, "created");
  EXPECT_EQ(history[0].message_id, placed.message_id);
  EXPECT_EQ(history[3].event_type, "inventory.committed");
  EXPECT_EQ(history[3].outcome, "unchanged");
  EXPECT_EQ(history[4].from, "paid");
  EXPECT_EQ(history[4].to, "confirmed");
}

TEST_P(OrderWorkerIt, LatePlacedCompletesTheCancellationAndRepeatsChangeNothing) {
  const std::string order = contracts::NewUuid();
  Publish(contracts::InventoryRejected{.order_id = order, .reason = contracts::RejectionReason::kUnknownSku,
                                       .skus = {"sku-404"}, .details = "sku-404 is not in the catalog",
                                       .rejected_at = contracts::NowRfc3339()});
  Publish(Placed(order));
  Publish(Placed(order));  // the same business event under a new message id
  Publish(Captured(order));  // a late event for a terminal order
  ASSERT_TRUE(WaitHandled());

  const std::vector<Envelope> out = DrainUntilMarker();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].type, "order.status_changed");
  const auto change = contracts::PayloadAs<contracts::OrderStatusChanged>(out[0]);
  EXPECT_EQ(change.sequence, 1);
  EXPECT_FALSE(change.from.has_value());
  EXPECT_EQ(change.to, OrderStatus::kCancelled);
  EXPECT_EQ(change.reason, CancelReason::kUnknownSku);
  ASSERT_EQ(out[1].type, "order.cancelled");
  const auto cancelled = contracts::PayloadAs<contracts::OrderCancelled>(out[1]);
  EXPECT_EQ(cancelled.customer_id, "cust-1001");
  EXPECT_EQ(cancelled.reason, CancelReason::kUnknownSku);
  EXPECT_EQ(cancelled.details, "sku-404 is not in the catalog");

  const auto state = State(order);
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->status, OrderStatus::kCancelled);
  EXPECT_EQ(state->customer_id, "cust-1001");
  const auto history = History(order);
  ASSERT_EQ(history.size(), 3u);  // rejected, placed (once), captured
  EXPECT_EQ(history[1].outcome, "after_terminal");
  EXPECT_EQ(history[2].event_type, "payment.captured");
}

TEST_P(OrderWorkerIt, StaleAndPostTerminalEventsAreIgnored) {
  const std::string order = contracts::NewUuid();
  Publish(Captured(order));  // creates the order as paid
  Publish(Placed(order));    // stale
  Publish(Reserved(order));  // stale, but teaches the total
  Publish(Scheduled(order));
  Publish(contracts::InventoryReleased{.order_id = order, .reservation_id = "res-1",
                                       .reason = contracts::ReleaseReason::kExpired,
                                       .lines = {{.sku = "sku-001", .quantity = 2}},
                                       .released_at = contracts::NowRfc3339()});
  ASSERT_TRUE(WaitHandled());

  const std::vector<Envelope> out = DrainUntilMarker();
  std::vector<std::string> types;
  for (const Envelope& env : out) types.push_back(env.type);
  EXPECT_EQ(types, (std::vector<std::string>{"order.status_changed", "order.status_changed", "order.confirmed"}));
  const auto state = State(order);
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->status, OrderStatus::kConfirmed);
  EXPECT_EQ(state->sequence, 2);
  EXPECT_FALSE(state->reason.has_value());
}

INSTANTIATE_TEST_SUITE_P(Db, OrderWorkerIt, testing::EveryStore(), testing::StoreName);

}  // namespace
}  // namespace choreo::order
