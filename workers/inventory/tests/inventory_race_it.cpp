// Two inventory replicas (two running Workers on ONE PostgreSQL schema and one broker
// vhost) handle the same order's payment.captured and its reservation deadline at the
// same moment, 50 orders in a row. Exactly one of them may decide: committed XOR
// released(expired), stock moved once, one decision event.
//
// "At the same moment" is forced, not hoped for: the test holds the lock of the stock row
// every decision must update, hands one event to each replica (Worker::Handle), and lets
// go only once BOTH replicas' transactions are waiting on a lock inside the database.
// Without the reservation's row lock both would by then have read "held" and both would
// decide.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "choreo/contracts/events.hpp"
#include "choreo/contracts/time.hpp"
#include "choreo/inventory/inventory.hpp"
#include "choreo/testing/replicas.hpp"
#include "choreo/testing/worker_fixture.hpp"
#include "choreo/worker/worker.hpp"

namespace choreo::inventory {
namespace {

using namespace std::chrono_literals;
using Poco::Data::Keywords::into;

constexpr int kOrders = 50;
constexpr std::int64_t kStock = 1000;
constexpr std::int64_t kPerOrder = 2;
// One SKU for every order, and a large hold nobody decides: a double decision then moves
// stock other reservations hold instead of tripping the reserved >= 0 CHECK (PostgreSQL
// checks it before waiting for the row lock), so only the reservation's row lock can
// prevent it.
constexpr std::int64_t kPadding = 400;
const std::vector<CatalogItem> kCatalog = {{"sku-race", "Racing mug", 1250, "EUR", kStock}};

contracts::OrderPlaced Placed(std::int64_t quantity = kPerOrder) {
  return {.order_id = contracts::NewUuid(),
          .customer_id = "cust-race",
          .lines = {{"sku-race", quantity}},
          .payment = {.method = contracts::PaymentMethod::kCard, .token = "tok_ok"},
          .shipping_address = {.name = "Ada", .line1 = "1 Main St", .city = "Berlin", .postal_code = "10115",
                               .country = "DE"},
          .placed_at = contracts::NowRfc3339()};
}

// The rig's vhost, database and probe; the replicas take the place of its worker.
class InventoryRaceIt : public testing::WorkerFixture<> {
 protected:
  void SetUp() override {
    OpenRig("invrace", testing::DbKind::kPostgres);
    replicas_ = std::make_unique<testing::Replicas>(*db_, "inventory", 2);
    for (int i = 0; i < 2; ++i) {
      // A reservation TTL of an hour: the broker's own deadline copies stay away for the
      // whole test; the test ages the reservations in the store instead.
      replicas_->Start(i, vhost_->AmqpUrl(),
                       [](worker::Worker& w) { Register(w, {.catalog = kCatalog, .reservation_ttl = 1h}); });
    }
    probe_->Observe("inventory", {std::string(contracts::InventoryReserved::kType),
                                  std::string(contracts::InventoryCommitted::kType),
                                  std::string(contracts::InventoryReleased::kType)});
  }
  void TearDown() override { replicas_.reset(); }

  std::unique_ptr<testing::Replicas> replicas_;
};

TEST_F(InventoryRaceIt, CaptureAndDeadlineAtTheSameMomentDecideOnce) {
  // Reserve through the broker: the two replicas compete for the order.placed messages.
  std::vector<contracts::InventoryReserved> reserved;
  std::vector<contracts::OrderPlaced> orders;
  const contracts::OrderPlaced padding = Placed(kPadding);
  probe_->Publish(padding);
  probe_->Await<contracts::InventoryReserved>(padding.order_id);
  for (int i = 0; i < kOrders; ++i) {
    orders.push_back(Placed());
    probe_->Publish(orders.back());
  }
  for (const auto& order : orders) reserved.push_back(probe_->Await<contracts::InventoryReserved>(order.order_id));
  ASSERT_FALSE(::testing::Test::HasFailure());

  store::Store& db = replicas_->Observer();
  // Every raced hold is now past its deadline, as if an hour had gone by.
  db.InTransaction([&](store::Tx& tx) {
    tx.Run("UPDATE inventory_reservations SET expires_at = ? WHERE order_id <> ?",
           contracts::FormatRfc3339(std::chrono::system_clock::now() - 1s), padding.order_id);
  });

  int raced = 0;
  for (int i = 0; i < kOrders; ++i) {
    const auto& r = reserved[i];
    const contracts::Envelope captured = contracts::MakeEnvelope(contracts::PaymentCaptured{
        .order_id = r.order_id, .reservation_id = r.reservation_id, .payment_id = "ch_" + r.order_id,
        .amount_minor = r.total_minor, .currency = r.currency, .captured_at = contracts::NowRfc3339()});
    const contracts::Envelope deadline = contracts::MakeEnvelope(contracts::ReservationDeadline{
        .order_id = r.order_id, .reservation_id = r.reservation_id, .expires_at = r.expires_at});
    // Alternate which replica gets which event.
    const int a = i % 2;
    const testing::RaceResult race = replicas_->Race(
        "SELECT available FROM inventory_stock WHERE sku = 'sku-race' FOR UPDATE",
        {[&] { return replicas_->Get(a).Handle(captured); }, [&] { return replicas_->Get(1 - a).Handle(deadline); }},
        5s);
    raced += race.all_waited ? 1 : 0;
    for (std::size_t h = 0; h < 2; ++h) {
      // Both messages are new to the inbox and neither handler may fail: a replica that
      // lost the race finds the decision made and answers it (or does nothing).
      EXPECT_EQ(race.returned[h], std::optional<bool>(true)) << r.order_id << ": " << race.errors[h];
    }
  }
  EXPECT_EQ(raced, kOrders) << "rounds in which both replicas were inside their transactions at once";
  RecordProperty("raced", raced);

  // The store: one decision per order, stock moved exactly once per decision.
  int committed = 0;
  for (const auto& r : reserved) {
    std::string state;
    std::optional<std::string> reason;
    db.InTransaction([&](store::Tx& tx) {
      tx.Run("SELECT state, release_reason FROM inventory_reservations WHERE order_id = ?", into(state), into(reason),
             r.order_id);
    });
    ASSERT_TRUE(state == "committed" || (state == "released" && reason == std::string("expired")))
        << r.order_id << " is " << state;
    if (state == "committed") ++committed;
  }
  RecordProperty("committed", committed);  // the rest were released: both outcomes occur
  const auto stock = db.InTransaction([](store::Tx& tx) { return ReadStock(tx); });
  ASSERT_EQ(stock.size(), 1u);
  EXPECT_EQ(stock[0].reserved, kPadding);
  EXPECT_EQ(stock[0].sold, kPerOrder * committed);
  EXPECT_EQ(stock[0].available, kStock - kPadding - kPerOrder * committed);
  EXPECT_EQ(stock[0].available + stock[0].reserved + stock[0].sold, kStock);

  // The events: exactly one decision event each. A capture that lost to the deadline is
  // answered with released(expired) again (so payment refunds), never with committed.
  for (const auto& r : reserved) {
    const auto count = [&](std::string_view type) { return replicas_->OutboxRows(type, r.order_id); };
    const std::int64_t commits = count(contracts::InventoryCommitted::kType);
    const std::int64_t releases = count(contracts::InventoryReleased::kType);
    EXPECT_TRUE((commits == 1 && releases == 0) || (commits == 0 && releases == 2))
        << r.order_id << ": " << commits << " committed, " << releases << " released in the outbox";
    // And they reach the broker through the replicas' relays.
    if (commits == 1) {
      probe_->Await<contracts::InventoryCommitted>(r.order_id);
    } else {
      auto released = probe_->Await<contracts::InventoryReleased>(r.order_id, 2);
      EXPECT_EQ(released.reason, contracts::ReleaseReason::kExpired);
    }
  }
}

}  // namespace
}  // namespace choreo::inventory
