// Two payment replicas (two running Workers on ONE PostgreSQL schema, one provider) get
// the same inventory.reserved at the same moment: redelivered (same message id) or
// republished by inventory's relay (a new message id). The provider must be asked under
// one idempotency key, one payment row recorded and one payment.captured announced.
// Race() (choreo/testing/replicas.hpp) holds the key both replicas are about to insert,
// lets go once both wait for it, and so makes them decide at the same moment.
#include <gtest/gtest.h>

#include "choreo/contracts/events.hpp"
#include "choreo/contracts/time.hpp"
#include "choreo/payment/decisions.hpp"
#include "choreo/payment/payment.hpp"
#include "choreo/provider/server.hpp"
#include "choreo/testing/event_probe.hpp"
#include "choreo/testing/replicas.hpp"
#include "choreo/testing/test_database.hpp"
#include "choreo/testing/testing.hpp"

namespace choreo::payment {
namespace {

using namespace std::chrono_literals;
using Poco::Data::Keywords::into;
using Release = testing::Replicas::Release;

constexpr int kOrders = 15;

contracts::InventoryReserved Reserved() {
  const std::string order_id = contracts::NewUuid();
  return {.order_id = order_id,
          .reservation_id = "res-" + order_id,
          .lines = {{.sku = "sku-001", .quantity = 1, .unit_price_minor = 3399}},
          .total_minor = 3399,
          .currency = "EUR",
          .expires_at = contracts::FormatRfc3339(std::chrono::system_clock::now() + 5min),
          .payment = {.method = contracts::PaymentMethod::kCard, .token = "tok_ok"}};
}

class PaymentRaceIt : public ::testing::Test {
 protected:
  void SetUp() override {
    vhost_ = std::make_unique<testing::TestVhost>("payrace");
    db_ = std::make_unique<testing::TestDatabase>(testing::DbKind::kPostgres, "payrace");
    provider_db_ = std::make_unique<testing::TestDatabase>(testing::DbKind::kSqlite, "provider");
    provider_ = std::make_unique<provider::ProviderServer>(
        provider::ProviderServerOptions{.port = 0, .store_url = provider_db_->Url()});
    provider_->Start();
    replicas_ = std::make_unique<testing::Replicas>(*db_, "payment", 2);
    for (int i = 0; i < 2; ++i) {
      replicas_->Start(i, vhost_->AmqpUrl(), [&](worker::Worker& w) {
        Register(w, std::make_shared<provider::ProviderClient>(
                        provider::ProviderClientOptions{.base_url = provider_->BaseUrl()}));
      });
    }
  }
  void TearDown() override {
    replicas_.reset();
    provider_->Stop();
  }

  // One replica handles `first`, the other `second`, both waiting for the payments row of
  // the order that the test inserted and rolls back.
  testing::RaceResult RaceFor(const contracts::InventoryReserved& r, const contracts::Envelope& first,
                              const contracts::Envelope& second, int a) {
    // Order ids are UUIDs the test made, safe to splice.
    const std::string hold =
        "INSERT INTO payments (order_id, reservation_id, status, charge_id, amount_minor, currency, created_at) "
        "VALUES ('" + r.order_id + "', 'held-by-test', 'declined', 'none', 0, 'EUR', 'now')";
    return replicas_->Race(hold,
                           {[&] { return replicas_->Get(a).Handle(first); },
                            [&] { return replicas_->Get(1 - a).Handle(second); }},
                           5s, Release::kRollback);
  }

  void ExpectChargedOnce(const contracts::InventoryReserved& r) {
    EXPECT_EQ(testing::LedgerRows(provider_->BaseUrl(), "charges", "idempotency_key", ChargeKey(r.order_id)).size(), 1u);
    Poco::Int64 rows = 0;
    replicas_->Observer().InTransaction([&](store::Tx& tx) {
      tx.Run("SELECT COUNT(*) FROM payments WHERE order_id = ?", into(rows), r.order_id);
    });
    EXPECT_EQ(rows, 1);
    EXPECT_EQ(replicas_->OutboxRows(contracts::PaymentCaptured::kType, r.order_id), 1) << r.order_id << " announced twice";
  }

  std::unique_ptr<testing::TestVhost> vhost_;
  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<testing::TestDatabase> provider_db_;
  std::unique_ptr<provider::ProviderServer> provider_;
  std::unique_ptr<testing::Replicas> replicas_;
};

TEST_F(PaymentRaceIt, OneMessageOnTwoReplicasAtOnceChargesOnce) {
  for (int i = 0; i < kOrders; ++i) {
    const auto r = Reserved();
    const contracts::Envelope message = contracts::MakeEnvelope(r);
    const testing::RaceResult race = RaceFor(r, message, message, i % 2);
    EXPECT_TRUE(race.all_waited) << r.order_id;
    // The inbox lets one of them through; the other finds the message taken.
    ASSERT_TRUE(race.returned[0].has_value() && race.returned[1].has_value())
        << race.errors[0] << " / " << race.errors[1];
    EXPECT_NE(*race.returned[0], *race.returned[1]) << "handled " << (*race.returned[0] ? "twice" : "never");
    ExpectChargedOnce(r);
  }
}

TEST_F(PaymentRaceIt, ARepublishedMessageOnTwoReplicasAtOnceChargesOnce) {
  for (int i = 0; i < kOrders; ++i) {
    const auto r = Reserved();
    // Same event, two message ids: the inbox cannot tell; the payments row must.
    const testing::RaceResult race = RaceFor(r, contracts::MakeEnvelope(r), contracts::MakeEnvelope(r), i % 2);
    EXPECT_TRUE(race.all_waited) << r.order_id;
    for (std::size_t h = 0; h < 2; ++h) EXPECT_EQ(race.returned[h], std::optional<bool>(true)) << race.errors[h];
    ExpectChargedOnce(r);
  }
}

}  // namespace
}  // namespace choreo::payment
