// The read model against real SQLite and PostgreSQL stores: late, duplicate and
// out-of-order events never move an order backwards, terminal states never change.
#include <gtest/gtest.h>

#include "choreo/contracts/events.hpp"
#include "choreo/gateway/read_model.hpp"
#include "choreo/testing/test_database.hpp"

namespace choreo::gateway {
namespace {

using contracts::CancelReason;
using contracts::OrderStatus;
using ::choreo::testing::DbKind;

class ReadModelTest : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    db_ = std::make_unique<::choreo::testing::TestDatabase>(GetParam(), "gwrm");
    store_ = std::make_unique<store::Store>(db_->Url());
    store_->Migrate("gateway", Migrations());
  }

  static contracts::OrderStatusChanged Changed(const std::string& order, std::int64_t sequence,
                                               std::optional<OrderStatus> from, OrderStatus to) {
    contracts::OrderStatusChanged event;
    event.order_id = order;
    event.sequence = sequence;
    event.from = from;
    event.to = to;
    event.at = "2024-05-01T12:00:0" + std::to_string(sequence % 10) + ".000Z";
    return event;
  }

  template <class F>
  void Apply(F&& f) {
    store_->InTransaction([&](store::Tx& tx) { f(tx); });
  }

  OrderView Load(const std::string& order) {
    auto view = store_->InTransaction([&](store::Tx& tx) { return LoadOrder(tx, order); });
    EXPECT_TRUE(view);
    return view.value_or(OrderView{});
  }

  std::vector<std::int64_t> Sequences(const OrderView& view) {
    std::vector<std::int64_t> out;
    for (const auto& entry : view.history) out.push_back(entry.sequence);
    return out;
  }

  std::unique_ptr<::choreo::testing::TestDatabase> db_;
  std::unique_ptr<store::Store> store_;
};

TEST_P(ReadModelTest, UnknownOrderIsAbsent) {
  auto view = store_->InTransaction([&](store::Tx& tx) { return LoadOrder(tx, "nope"); });
  EXPECT_FALSE(view);
}

TEST_P(ReadModelTest, PlacedAtIntakeThenReplacedByTheWorkersEntry) {
  Apply([](store::Tx& tx) { RecordPlaced(tx, "o1", "2024-05-01T11:59:59.000Z"); });
  OrderView view = Load("o1");
  EXPECT_EQ(view.status, "placed");
  EXPECT_EQ(Sequences(view), std::vector<std::int64_t>{0});
  Apply([&](store::Tx& tx) { ApplyStatusChanged(tx, Changed("o1", 1, std::nullopt, OrderStatus::kPlaced)); });
  view = Load("o1");
  EXPECT_EQ(view.sequence, 1);
  EXPECT_EQ(Sequences(view), std::vector<std::int64_t>{1});
}

TEST_P(ReadModelTest, OutOfOrderAndDuplicateEventsNeverMoveBackwards) {
  Apply([](store::Tx& tx) { RecordPlaced(tx, "o2", "2024-05-01T11:59:59.000Z"); });
  auto reserved = Changed("o2", 2, OrderStatus::kPlaced, OrderStatus::kReserved);
  reserved.total_minor = 1998;
  reserved.currency = "EUR";
  Apply([&](store::Tx& tx) { ApplyStatusChanged(tx, Changed("o2", 3, OrderStatus::kReserved, OrderStatus::kPaid)); });
  Apply([&](store::Tx& tx) { ApplyStatusChanged(tx, reserved); });  // late
  Apply([&](store::Tx& tx) { ApplyStatusChanged(tx, reserved); });  // and twice
  Apply([&](store::Tx& tx) { ApplyStatusChanged(tx, Changed("o2", 1, std::nullopt, OrderStatus::kPlaced)); });
  OrderView view = Load("o2");
  EXPECT_EQ(view.status, "paid");
  EXPECT_EQ(view.sequence, 3);
  // The late event still contributed what it alone carried: the total.
  EXPECT_EQ(view.total_minor, 1998);
  EXPECT_EQ(view.currency, "EUR");
  EXPECT_EQ(Sequences(view), (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(view.history[1].to, "reserved");
  EXPECT_EQ(view.history[1].from, "placed");
}

TEST_P(ReadModelTest, TerminalStatusNeverChanges) {
  auto cancelled = Changed("o3", 3, OrderStatus::kReserved, OrderStatus::kCancelled);
  cancelled.reason = CancelReason::kPaymentDeclined;
  Apply([&](store::Tx& tx) { ApplyStatusChanged(tx, cancelled); });
  // A later sequence number cannot revive it either (a confused producer, a replay).
  Apply([&](store::Tx& tx) { ApplyStatusChanged(tx, Changed("o3", 4, OrderStatus::kReserved, OrderStatus::kPaid)); });
  contracts::OrderConfirmed confirmed;
  confirmed.order_id = "o3";
  confirmed.total_minor = 5;
  confirmed.currency = "EUR";
  confirmed.confirmed_at = "2024-05-01T12:00:09.000Z";
  Apply([&](store::Tx& tx) { ApplyConfirmed(tx, confirmed); });
  OrderView view = Load("o3");
  EXPECT_EQ(view.status, "cancelled");
  EXPECT_EQ(view.reason, "payment_declined");
}

TEST_P(ReadModelTest, TerminalEventsWithoutStatusChanges) {
  contracts::OrderConfirmed confirmed;
  confirmed.order_id = "o4";
  confirmed.customer_id = "c";
  confirmed.total_minor = 4200;
  confirmed.currency = "EUR";
  confirmed.confirmed_at = "2024-05-01T12:00:09.000Z";
  Apply([](store::Tx& tx) { RecordPlaced(tx, "o4", "2024-05-01T11:59:59.000Z"); });
  Apply([&](store::Tx& tx) { ApplyConfirmed(tx, confirmed); });
  // The status_changed that led there arrives after the terminal event: history only.
  Apply([&](store::Tx& tx) { ApplyStatusChanged(tx, Changed("o4", 2, OrderStatus::kPlaced, OrderStatus::kReserved)); });
  OrderView view = Load("o4");
  EXPECT_EQ(view.status, "confirmed");
  EXPECT_EQ(view.total_minor, 4200);
  EXPECT_EQ(Sequences(view), (std::vector<std::int64_t>{0, 2}));

  contracts::OrderCancelled cancelled;
  cancelled.order_id = "o5";
  cancelled.customer_id = "c";
  cancelled.reason = CancelReason::kInsufficientStock;
  cancelled.cancelled_at = "2024-05-01T12:00:09.000Z";
  Apply([&](store::Tx& tx) { ApplyCancelled(tx, cancelled); });
  view = Load("o5");
  EXPECT_EQ(view.status, "cancelled");
  EXPECT_EQ(view.reason, "insufficient_stock");
}

INSTANTIATE_TEST_SUITE_P(Stores, ReadModelTest, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return ::choreo::testing::DbKindName(info.param); });

}  // namespace
}  // namespace choreo::gateway
