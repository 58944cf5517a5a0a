// Two order-worker replicas (two running Workers on ONE PostgreSQL schema) handle two
// events of the same order at the same moment. The state machine must see them one after
// the other: no lost transition, one status_changed per sequence number, exactly one
// terminal event. Race() (choreo/testing/replicas.hpp) holds a lock both handlers need
// and lets go only once both wait inside the database.
#include <gtest/gtest.h>

#include <set>

#include "choreo/order/order_worker.hpp"
#include "choreo/store/locks.hpp"
#include "choreo/testing/replicas.hpp"
#include "choreo/testing/test_database.hpp"
#include "choreo/testing/testing.hpp"
#include "order_events.hpp"

namespace choreo::order {
namespace {

using namespace std::chrono_literals;
using Poco::Data::Keywords::into;

constexpr int kOrders = 25;

class OrderRaceIt : public ::testing::Test {
 protected:
  void SetUp() override {
    vhost_ = std::make_unique<testing::TestVhost>("orderrace");
    db_ = std::make_unique<testing::TestDatabase>(testing::DbKind::kPostgres, "orderrace");
    replicas_ = std::make_unique<testing::Replicas>(*db_, "order", 2);
    for (int i = 0; i < 2; ++i) replicas_->Start(i, vhost_->AmqpUrl(), [](worker::Worker& w) { Register(w); });
  }
  void TearDown() override { replicas_.reset(); }

  template <contracts::Event E>
  void Handle(int replica, const E& event) {
    ASSERT_TRUE(replicas_->Get(replica).Handle(contracts::MakeEnvelope(event)));
  }

  // Status changes the replicas emitted for `order_id`, by sequence number.
  std::multiset<std::int64_t> Sequences(const std::string& order_id) {
    std::vector<Poco::Int64> sequences;
    replicas_->Observer().InTransaction([&](store::Tx& tx) {
      tx.Run("SELECT ((body::jsonb) -> 'payload' ->> 'sequence')::BIGINT FROM choreo_outbox "
             "WHERE routing_key = 'order.status_changed' AND (body::jsonb) ->> 'correlation_id' = ?",
             into(sequences), order_id);
    });
    return {sequences.begin(), sequences.end()};
  }

  OrderState State(const std::string& order_id) {
    auto state = replicas_->Observer().InTransaction([&](store::Tx& tx) { return LoadOrder(tx, order_id); });
    EXPECT_TRUE(state.has_value()) << order_id;
    return state.value_or(OrderState{});
  }

  // Hands `first` to one replica and `second` to the other (which gets which alternates
  // with `round`) at the same moment, holding the locks `lock_sql` takes until both wait
  // for them; both must have waited and handled their event.
  template <contracts::Event A, contracts::Event B>
  void RaceOnce(int round, const std::string& lock_sql, const A& first, const B& second,
                std::chrono::milliseconds timeout = 10s) {
    const int a = round % 2;
    const auto one = contracts::MakeEnvelope(first);
    const auto two = contracts::MakeEnvelope(second);
    const testing::RaceResult race = replicas_->Race(
        lock_sql,
        {[&] { return replicas_->Get(a).Handle(one); }, [&] { return replicas_->Get(1 - a).Handle(two); }}, timeout);
    EXPECT_TRUE(race.all_waited) << first.order_id;
    for (std::size_t h = 0; h < 2; ++h) EXPECT_EQ(race.returned[h], std::optional<bool>(true)) << race.errors[h];
  }

  std::string LockOrder(const std::string& order_id) {
    // Order ids here are UUIDs the test made, safe to splice.
    return "SELECT 1 FROM order_states WHERE order_id = '" + order_id + "' FOR UPDATE";
  }

  std::unique_ptr<testing::TestVhost> vhost_;
  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<testing::Replicas> replicas_;
};

TEST_F(OrderRaceIt, TerminalEventsAtTheSameMomentEndTheOrderOnce) {
  for (int i = 0; i < kOrders; ++i) {
    const std::string id = contracts::NewUuid();
    Handle(0, Placed(id));
    Handle(1, Reserved(id));
    Handle(0, Captured(id));
    RaceOnce(i, LockOrder(id), Scheduled(id), RejectedShipment(id));

    const OrderState state = State(id);
    EXPECT_TRUE(state.status == contracts::OrderStatus::kConfirmed || state.status == contracts::OrderStatus::kCancelled);
    EXPECT_EQ(state.sequence, 4);
    EXPECT_EQ(replicas_->OutboxRows("order.confirmed", id) + replicas_->OutboxRows("order.cancelled", id), 1)
        << id << " ended more than once";
    EXPECT_EQ(Sequences(id), (std::multiset<std::int64_t>{1, 2, 3, 4})) << id;
  }
}

TEST_F(OrderRaceIt, TransitionsAtTheSameMomentAreNeverLost) {
  for (int i = 0; i < kOrders; ++i) {
    const std::string id = contracts::NewUuid();
    Handle(0, Placed(id));
    // reserved and captured at once: whichever comes second must see the first.
    RaceOnce(i, LockOrder(id), Reserved(id), Captured(id));

    const OrderState state = State(id);
    EXPECT_EQ(state.status, contracts::OrderStatus::kPaid) << id << ": a transition was lost";
    EXPECT_EQ(state.total_minor, std::optional<std::int64_t>(2500));
    // captured first: placed -> paid (2), reserved is stale; reserved first: -> reserved
    // (2) -> paid (3). Never two status changes with one sequence number.
    const auto sequences = Sequences(id);
    EXPECT_TRUE(sequences == (std::multiset<std::int64_t>{1, 2}) || sequences == (std::multiset<std::int64_t>{1, 2, 3}))
        << id;
    EXPECT_EQ(static_cast<std::int64_t>(sequences.size()), state.sequence);
  }
}

// payment.refunded is history only: for an order nobody has seen yet there is no row to
// lock, while order.placed creates that row and the first history entry at the same
// moment. Both must take their turn on the same lock, not collide on history position 1.
TEST_F(OrderRaceIt, HistoryOfAnOrderBeingCreatedIsNeverLost) {
  for (int i = 0; i < kOrders; ++i) {
    const std::string id = contracts::NewUuid();
    RaceOnce(i, "SELECT pg_advisory_xact_lock(" + std::to_string(store::LockKeyOf(OrderLockName(id))) + ")", Placed(id), Refunded(id),
             2s);
    const auto history = replicas_->Observer().InTransaction([&](store::Tx& tx) { return LoadHistory(tx, id); });
    ASSERT_EQ(history.size(), 2u) << id;
    EXPECT_EQ(history[0].position, 1);
    EXPECT_EQ(history[1].position, 2);
  }
}

}  // namespace
}  // namespace choreo::order
