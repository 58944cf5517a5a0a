// The inventory worker in-process against the test broker, on SQLite and PostgreSQL:
// events go in on the exchanges the real producers use, what inventory emits is read
// from a queue bound to its exchange, and stock is read from its store.
#include "choreo/contracts/events.hpp"
#include "choreo/contracts/time.hpp"
#include "choreo/inventory/inventory.hpp"
#include "choreo/testing/worker_fixture.hpp"

namespace choreo::inventory {
namespace {

using namespace std::chrono_literals;
using contracts::ReleaseReason;

const std::vector<CatalogItem> kCatalog = {
    {"sku-001", "Red mug", 1250, "EUR", 100},
    {"sku-002", "Green tea", 899, "EUR", 50},
    {"sku-rare", "Teabowl", 12900, "EUR", 5},
    {"sku-out", "Tin", 1500, "EUR", 0},
};

contracts::OrderPlaced Placed(std::vector<contracts::OrderLine> lines, std::string token = "tok_ok") {
  return {.order_id = contracts::NewUuid(),
          .customer_id = "cust-1",
          .lines = std::move(lines),
          .payment = {.method = contracts::PaymentMethod::kCard, .token = std::move(token)},
          .shipping_address = {.name = "Ada", .line1 = "1 Main St", .city = "Berlin", .postal_code = "10115",
                               .country = "DE"},
          .placed_at = contracts::NowRfc3339()};
}

contracts::PaymentCaptured Captured(const contracts::InventoryReserved& r) {
  return {.order_id = r.order_id, .reservation_id = r.reservation_id, .payment_id = "ch_" + r.order_id,
          .amount_minor = r.total_minor, .currency = r.currency, .captured_at = contracts::NowRfc3339()};
}

contracts::PaymentDeclined Declined(const contracts::InventoryReserved& r) {
  return {.order_id = r.order_id, .reservation_id = r.reservation_id, .amount_minor = r.total_minor,
          .currency = r.currency, .reason = "card_declined", .declined_at = contracts::NowRfc3339()};
}

contracts::ShipmentRejected ShipmentRejected(const contracts::InventoryReserved& r) {
  return {.order_id = r.order_id, .reservation_id = r.reservation_id, .details = "not served",
          .rejected_at = contracts::NowRfc3339()};
}

class InventoryIt : public testing::WorkerFixture<::testing::TestWithParam<testing::DbKind>> {
 protected:
  void SetUp() override { OpenRig("inventory", GetParam()); }

  void StartWorker(std::chrono::milliseconds ttl = 5min, std::vector<CatalogItem> catalog = kCatalog) {
    ASSERT_TRUE(worker_.Start(RigOptions("inventory"), [&](worker::Worker& w) {
      Register(w, {.catalog = std::move(catalog), .reservation_ttl = ttl});
    }));
    // Business events only: the deadline also travels on this exchange, but with a
    // per-message TTL that would make it vanish from this queue too.
    probe_->Observe("inventory", {std::string(contracts::InventoryReserved::kType),
                                  std::string(contracts::InventoryRejected::kType),
                                  std::string(contracts::InventoryCommitted::kType),
                                  std::string(contracts::InventoryReleased::kType)});
  }

  void StopWorker() { worker_.Stop(); }

  // Places an order on a SKU nobody else uses in the test and waits for its answer. The
  // worker handles its queue in order and the relay publishes in commit order, so once
  // this answer is seen, anything an earlier message emitted has been seen too: lets a
  // test assert "nothing was emitted" without sleeping.
  void Barrier() {
    auto order = Placed({{"sku-002", 1}});
    probe_->Publish(order);
    probe_->Await<contracts::InventoryReserved>(order.order_id);
  }

  contracts::InventoryReserved Reserve(std::vector<contracts::OrderLine> lines) {
    auto order = Placed(std::move(lines));
    probe_->Publish(order);
    return probe_->Await<contracts::InventoryReserved>(order.order_id);
  }

  // Places `order` and waits for its rejection.
  contracts::InventoryRejected Rejected(const contracts::OrderPlaced& order) {
    probe_->Publish(order);
    return probe_->Await<contracts::InventoryRejected>(order.order_id);
  }

  // Places `order` and expects it rejected for `reason`, naming `skus`.
  void ExpectRejected(const contracts::OrderPlaced& order, contracts::RejectionReason reason,
                      const std::vector<std::string>& skus) {
    const auto rejected = Rejected(order);
    EXPECT_EQ(rejected.reason, reason);
    EXPECT_EQ(rejected.skus, skus);
  }

  std::map<std::string, StockRow> Stock() {
    auto rows = worker_->Store().InTransaction([](store::Tx& tx) { return ReadStock(tx); });
    std::map<std::string, StockRow> out;
    for (auto& row : rows) out[row.sku] = row;
    return out;
  }

  // available + reserved + sold = initial stock for every SKU, and the counters match
  // the expectation (sku-002 minus what barriers hold).
  void ExpectStock(const std::string& sku, std::int64_t available, std::int64_t reserved, std::int64_t sold) {
    auto stock = Stock();
    for (const auto& item : kCatalog) {
      const StockRow& row = stock.at(item.sku);
      EXPECT_EQ(row.total, item.stock) << item.sku;
      EXPECT_EQ(row.available + row.reserved + row.sold, item.stock) << item.sku;
    }
    const StockRow& row = stock.at(sku);
    EXPECT_EQ(row.available, available) << sku;
    EXPECT_EQ(row.reserved, reserved) << sku;
    EXPECT_EQ(row.sold, sold) << sku;
  }

};

TEST_P(InventoryIt, ReservesAllLinesPricedFromTheCatalogOnce) {
  StartWorker();
  auto order = Placed({{"sku-001", 2}, {"sku-rare", 1}, {"sku-001", 1}}, "tok_decline");
  const auto before = std::chrono::system_clock::now();
  probe_->Publish(order);
  auto reserved = probe_->Await<contracts::InventoryReserved>(order.order_id);
  EXPECT_EQ(reserved.lines, (std::vector<contracts::PricedLine>{
                                {"sku-001", 2, 1250}, {"sku-rare", 1, 12900}, {"sku-001", 1, 1250}}));
  EXPECT_EQ(reserved.total_minor, 3 * 1250 + 12900);
  EXPECT_EQ(reserved.currency, "EUR");
  EXPECT_EQ(reserved.payment, order.payment);
  EXPECT_FALSE(reserved.reservation_id.empty());
  auto expires = contracts::ParseRfc3339(reserved.expires_at);
  ASSERT_TRUE(expires.has_value());
  EXPECT_GE(*expires, std::chrono::time_point_cast<std::chrono::milliseconds>(before + 5min - 1s));
  EXPECT_LE(*expires, std::chrono::time_point_cast<std::chrono::milliseconds>(before + 5min + 30s));
  ExpectStock("sku-001", 97, 3, 0);
  ExpectStock("sku-rare", 4, 1, 0);

  // The same order again under a new message id: nothing new, no second hold.
  probe_->Publish(order);
  Barrier();
  EXPECT_EQ(probe_->EventsFor(order.order_id), 1u);
  ExpectStock("sku-001", 97, 3, 0);
  ExpectStock("sku-rare", 4, 1, 0);
}

TEST_P(InventoryIt, UnknownSkuRejectsTheWholeOrder) {
  StartWorker();
  auto order = Placed({{"sku-001", 1}, {"sku-nope", 1}});
  ExpectRejected(order, contracts::RejectionReason::kUnknownSku, {"sku-nope"});
  ExpectStock("sku-001", 100, 0, 0);
  EXPECT_TRUE(probe_->Seen<contracts::InventoryReserved>(order.order_id).empty());
}

TEST_P(InventoryIt, InsufficientStockRejectsTheWholeOrderUntilItFits) {
  StartWorker();
  auto too_many = Placed({{"sku-001", 1}, {"sku-rare", 6}});
  ExpectRejected(too_many, contracts::RejectionReason::kInsufficientStock, {"sku-rare"});
  ExpectStock("sku-001", 100, 0, 0);
  ExpectStock("sku-rare", 5, 0, 0);

  EXPECT_EQ(Rejected(Placed({{"sku-out", 1}})).reason, contracts::RejectionReason::kInsufficientStock);

  Reserve({{"sku-rare", 5}});
  ExpectStock("sku-rare", 0, 5, 0);
  EXPECT_EQ(Rejected(Placed({{"sku-rare", 1}})).reason, contracts::RejectionReason::kInsufficientStock);

  // A rejected order placed again is not decided a second time.
  probe_->Publish(too_many);
  Barrier();
  EXPECT_EQ(probe_->EventsFor(too_many.order_id), 1u);
}

TEST_P(InventoryIt, CaptureCommitsAndTheLaterDeadlineChangesNothing) {
  StartWorker(/*ttl=*/3s);
  auto order = Placed({{"sku-001", 2}});
  probe_->Publish(order);
  auto reserved = probe_->Await<contracts::InventoryReserved>(order.order_id);
  probe_->Publish(Captured(reserved));
  auto committed = probe_->Await<contracts::InventoryCommitted>(order.order_id);
  EXPECT_EQ(committed.reservation_id, reserved.reservation_id);
  EXPECT_EQ(committed.lines, reserved.lines);
  EXPECT_EQ(committed.total_minor, 2500);
  EXPECT_EQ(committed.currency, "EUR");
  EXPECT_EQ(committed.shipping_address, order.shipping_address);
  ExpectStock("sku-001", 98, 0, 2);

  // The same capture again (new message id), then the deadline fires: neither changes
  // anything. handled counts placed, 2 captures, deadline.
  probe_->Publish(Captured(reserved));
  ASSERT_TRUE(testing::WaitFor([&] { return worker_->Stats().handled >= 4; }, 20s));
  Barrier();
  EXPECT_EQ(probe_->EventsFor(order.order_id), 2u);
  ExpectStock("sku-001", 98, 0, 2);
}

TEST_P(InventoryIt, DeclineReleasesTheHold) {
  StartWorker();
  auto reserved = Reserve({{"sku-001", 3}, {"sku-rare", 2}});
  ExpectStock("sku-rare", 3, 2, 0);
  probe_->Publish(Declined(reserved));
  auto released = probe_->Await<contracts::InventoryReleased>(reserved.order_id);
  EXPECT_EQ(released.reason, ReleaseReason::kPaymentDeclined);
  EXPECT_EQ(released.reservation_id, reserved.reservation_id);
  EXPECT_EQ(released.lines, (std::vector<contracts::OrderLine>{{"sku-001", 3}, {"sku-rare", 2}}));
  ExpectStock("sku-001", 100, 0, 0);
  ExpectStock("sku-rare", 5, 0, 0);

  // The decline repeated, or a capture after it (the provider answers a key once, so
  // this should not happen): nothing new.
  probe_->Publish(Declined(reserved));
  probe_->Publish(Captured(reserved));
  Barrier();
  EXPECT_EQ(probe_->EventsFor(reserved.order_id), 2u);
}

TEST_P(InventoryIt, DeadlineReleasesAndALateCaptureIsAnsweredWithExpiredAgain) {
  StartWorker(/*ttl=*/500ms);
  auto reserved = Reserve({{"sku-rare", 4}});
  auto released = probe_->Await<contracts::InventoryReleased>(reserved.order_id, 1, 20s);
  EXPECT_EQ(released.reason, ReleaseReason::kExpired);
  EXPECT_EQ(released.lines, (std::vector<contracts::OrderLine>{{"sku-rare", 4}}));
  ExpectStock("sku-rare", 5, 0, 0);

  // The capture lost the race against the deadline: inventory repeats released(expired)
  // so payment refunds, and the stock stays where it is.
  probe_->Publish(Captured(reserved));
  auto again = probe_->Await<contracts::InventoryReleased>(reserved.order_id, 2);
  EXPECT_EQ(again.reason, ReleaseReason::kExpired);
  EXPECT_EQ(again.reservation_id, reserved.reservation_id);
  ExpectStock("sku-rare", 5, 0, 0);
  EXPECT_TRUE(probe_->Seen<contracts::InventoryCommitted>(reserved.order_id).empty());

  // A decline or shipment rejection for the expired hold is stale.
  probe_->Publish(Declined(reserved));
  probe_->Publish(ShipmentRejected(reserved));
  Barrier();
  EXPECT_EQ(probe_->Seen<contracts::InventoryReleased>(reserved.order_id).size(), 2u);
  ExpectStock("sku-rare", 5, 0, 0);
}

TEST_P(InventoryIt, EarlyDeadlineIsSentBackToWaitInsteadOfCuttingTheHoldShort) {
  StartWorker();
  auto reserved = Reserve({{"sku-rare", 2}});
  const std::string delay_queue = "inventory.reservation_deadline.delay";
  ASSERT_TRUE(testing::WaitFor([&] { return probe_->Connection().InspectQueue(delay_queue).message_count == 1; }, 10s));

  // A deadline straight into the work queue (as a DLQ replay would put it), minutes early.
  contracts::ReservationDeadline early{.order_id = reserved.order_id, .reservation_id = reserved.reservation_id,
                                       .expires_at = reserved.expires_at};
  probe_->Publish("", "inventory", contracts::MakeEnvelope(early));
  Barrier();
  EXPECT_EQ(probe_->EventsFor(reserved.order_id), 1u);
  ExpectStock("sku-rare", 3, 2, 0);
  // ...and it waits again in the delay queue next to the original.
  EXPECT_TRUE(testing::WaitFor([&] { return probe_->Connection().InspectQueue(delay_queue).message_count == 3; }, 10s))
      << "the barrier order's deadline, the original and the one sent back";
}

TEST_P(InventoryIt, ShipmentRejectionRestocksOnce) {
  StartWorker();
  auto reserved = Reserve({{"sku-001", 4}});
  probe_->Publish(Captured(reserved));
  probe_->Await<contracts::InventoryCommitted>(reserved.order_id);
  ExpectStock("sku-001", 96, 0, 4);

  probe_->Publish(ShipmentRejected(reserved));
  auto released = probe_->Await<contracts::InventoryReleased>(reserved.order_id);
  EXPECT_EQ(released.reason, ReleaseReason::kShipmentRejected);
  ExpectStock("sku-001", 100, 0, 0);

  probe_->Publish(ShipmentRejected(reserved));
  probe_->Publish(Captured(reserved));
  Barrier();
  EXPECT_EQ(probe_->EventsFor(reserved.order_id), 3u);  // reserved, committed, released
  ExpectStock("sku-001", 100, 0, 0);
}

TEST_P(InventoryIt, StockIsConservedAcrossManyOrdersAndOutcomes) {
  StartWorker();
  std::vector<contracts::InventoryReserved> holds;
  for (int i = 0; i < 12; ++i) holds.push_back(Reserve({{"sku-001", 1 + i % 3}, {"sku-002", 1}}));
  // A third declined, a third committed, a third committed and then rejected by shipping.
  for (std::size_t i = 0; i < holds.size(); ++i) {
    if (i % 3 == 0) {
      probe_->Publish(Declined(holds[i]));
    } else {
      probe_->Publish(Captured(holds[i]));
      if (i % 3 == 2) probe_->Publish(ShipmentRejected(holds[i]));
    }
  }
  for (std::size_t i = 0; i < holds.size(); ++i) {
    if (i % 3 == 1) {
      probe_->Await<contracts::InventoryCommitted>(holds[i].order_id);
    } else {
      probe_->Await<contracts::InventoryReleased>(holds[i].order_id);
    }
  }
  std::int64_t sold_001 = 0;
  for (std::size_t i = 1; i < holds.size(); i += 3) sold_001 += 1 + static_cast<std::int64_t>(i) % 3;
  ExpectStock("sku-001", 100 - sold_001, 0, sold_001);
  ExpectStock("sku-002", 50 - 4, 0, 4);
}

TEST_P(InventoryIt, RestartKeepsLiveStockInsteadOfReseeding) {
  StartWorker();
  Reserve({{"sku-rare", 2}});
  StopWorker();
  auto bigger = kCatalog;
  for (auto& item : bigger) item.stock += 1000;
  StartWorker(5min, bigger);
  ExpectStock("sku-rare", 3, 2, 0);
}

INSTANTIATE_TEST_SUITE_P(Stores, InventoryIt, testing::EveryStore(), testing::StoreName);

}  // namespace
}  // namespace choreo::inventory
