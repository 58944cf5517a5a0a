// The payment worker's facts reader against a store built by the worker's own
// migrations, on SQLite and PostgreSQL.
#include <tuple>

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
  // Whole records, ordered by order id.
  using Row = std::tuple<std::string, std::string, std::string, std::int64_t, std::optional<std::string>>;
  std::vector<Row> read;
  for (const auto& p : ReadWith(facts::ReadPayments)) {
    read.emplace_back(p.order_id, p.status, p.charge_id, p.amount_minor, p.refund_id);
  }
  EXPECT_EQ(read, (std::vector<Row>{{"o-1", "captured", "ch-1", 2500, "rf-1"},
                                    {"o-2", "declined", "ch-2", 450, std::nullopt}}));
}

INSTANTIATE_TEST_SUITE_P(Stores, PaymentFacts, testing::EveryStore(), testing::StoreName);

}  // namespace
}  // namespace choreo::payment
