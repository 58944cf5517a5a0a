// The payment worker's facts reader against a store built by the worker's own
// migrations, on SQLite and PostgreSQL.
#include <gtest/gtest.h>

#include "choreo/payment/facts.hpp"
#include "choreo/payment/payment.hpp"
#include "choreo/testing/test_database.hpp"

namespace choreo::payment {
namespace {

using testing::DbKind;

class PaymentFacts : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    db_ = std::make_unique<testing::TestDatabase>(GetParam(), "payfacts");
    store_ = std::make_unique<store::Store>(db_->Url());
    store_->Migrate("payment", Migrations());
  }

  void Payment(const std::string& order_id, const std::string& status, const std::string& charge_id,
               std::int64_t amount, std::optional<std::string> refund_id) {
    store_->InTransaction([&](store::Tx& tx) {
      tx.Run(
          "INSERT INTO payments (order_id, reservation_id, status, charge_id, amount_minor, currency, "
          "decline_reason, refund_id, refund_reason, created_at, refunded_at) "
          "VALUES (?, ?, ?, ?, ?, 'EUR', NULL, ?, NULL, '2026-01-01T00:00:00Z', NULL)",
          order_id, "res-" + order_id, status, charge_id, amount, refund_id);
    });
  }

  std::vector<facts::PaymentRecord> Read() {
    return store_->InTransaction([](store::Tx& tx) { return facts::ReadPayments(tx); });
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<store::Store> store_;
};

TEST_P(PaymentFacts, ReadsEveryPaymentWithItsRefund) {
  EXPECT_TRUE(Read().empty());
  Payment("o-2", "declined", "ch-2", 450, std::nullopt);
  Payment("o-1", "captured", "ch-1", 2500, "rf-1");
  const auto payments = Read();
  ASSERT_EQ(payments.size(), 2u);
  EXPECT_EQ(payments[0].order_id, "o-1");
  EXPECT_EQ(payments[0].status, "captured");
  EXPECT_EQ(payments[0].charge_id, "ch-1");
  EXPECT_EQ(payments[0].amount_minor, 2500);
  EXPECT_EQ(payments[0].refund_id, "rf-1");
  EXPECT_EQ(payments[1].order_id, "o-2");
  EXPECT_EQ(payments[1].status, "declined");
  EXPECT_EQ(payments[1].refund_id, std::nullopt);
}

INSTANTIATE_TEST_SUITE_P(Stores, PaymentFacts, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return testing::DbKindName(info.param); });

}  // namespace
}  // namespace choreo::payment
