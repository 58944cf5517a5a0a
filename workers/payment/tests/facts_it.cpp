// The payment worker's facts reader against a store built by the worker's own
// migrations, on SQLite and PostgreSQL.
#include "choreo/payment/facts.hpp"
#include "choreo/payment/payment.hpp"
#include "choreo/testing/store_fixture.hpp"

namespace choreo::payment {
namespace {

class PaymentFacts : public testing::StoreFixture {
 protected:
  void SetUp() override { OpenStore("payfacts").Migrate("payment", Migrations()); }

  void Payment(const std::string& order_id, const std::string& status, const std::string& charge_id,
               std::int64_t amount, std::optional<std::string> refund_id) {
    Exec("INSERT INTO payments (order_id, reservation_id, status, charge_id, amount_minor, currency, "
         "decline_reason, refund_id, refund_reason, created_at, refunded_at) "
         "VALUES (?, ?, ?, ?, ?, 'EUR', NULL, ?, NULL, '2026-01-01T00:00:00Z', NULL)",
         order_id, "res-" + order_id, status, charge_id, amount, refund_id);
  }
};

TEST_P(PaymentFacts, ReadsEveryPaymentWithItsRefund) {
  EXPECT_TRUE(ReadWith(facts::ReadPayments).empty());
  Payment("o-2", "declined", "ch-2", 450, std::nullopt);
  Payment("o-1", "captured", "ch-1", 2500, "rf-1");
  const auto payments = ReadWith(facts::ReadPayments);
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

INSTANTIATE_TEST_SUITE_P(Stores, PaymentFacts, testing::EveryStore(), testing::StoreName);

}  // namespace
}  // namespace choreo::payment
