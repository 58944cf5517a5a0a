// The provider's facts reader against a ledger written through the real Ledger, on
// SQLite and PostgreSQL.
#include <chrono>

#include "choreo/provider/facts.hpp"
#include "choreo/provider/ledger.hpp"
#include "choreo/testing/store_fixture.hpp"

namespace choreo::provider {
namespace {

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class ProviderFacts : public testing::StoreFixture {
 protected:
  void SetUp() override { ledger_ = std::make_unique<Ledger>(OpenStore("provfacts"), LedgerOptions{}); }

  facts::LedgerFacts Read() { return ReadWith(facts::ReadLedger); }

  std::unique_ptr<Ledger> ledger_;
};

TEST_P(ProviderFacts, ReadsChargesRefundsAndEmails) {
  const facts::LedgerFacts empty = Read();
  EXPECT_TRUE(empty.charges.empty() && empty.refunds.empty() && empty.emails.empty());

  const std::int64_t before = NowMs();
  const Reply captured = ledger_->Charge("charge:o-1", {"o-1", 2500, "EUR", "tok_ok"});
  ASSERT_EQ(captured.status, 201) << captured.body.dump();
  const Reply declined = ledger_->Charge("charge:o-2", {"o-2", 450, "EUR", "tok_decline"});
  ASSERT_EQ(declined.status, 402) << declined.body.dump();
  const Reply refund =
      ledger_->Refund("refund:o-1", {captured.body.at("charge_id").get<std::string>(), 2500, "reservation_expired"});
  ASSERT_EQ(refund.status, 201) << refund.body.dump();
  const Reply email = ledger_->SendEmail("order_cancelled:o-1", {"c@example.com", "order_cancelled", "o-1", "s", "b"});
  ASSERT_EQ(email.status, 202) << email.body.dump();

  const facts::LedgerFacts read = Read();
  ASSERT_EQ(read.charges.size(), 2u);
  const auto& c1 = read.charges[0].order_id == "o-1" ? read.charges[0] : read.charges[1];
  const auto& c2 = read.charges[0].order_id == "o-1" ? read.charges[1] : read.charges[0];
  EXPECT_EQ(c1.charge_id, captured.body.at("charge_id").get<std::string>());
  EXPECT_EQ(c1.amount_minor, 2500);
  EXPECT_EQ(c1.status, "captured");
  EXPECT_GE(c1.created_at_ms, before);
  EXPECT_EQ(c2.order_id, "o-2");
  EXPECT_EQ(c2.status, "declined");

  ASSERT_EQ(read.refunds.size(), 1u);
  EXPECT_EQ(read.refunds[0].refund_id, refund.body.at("refund_id").get<std::string>());
  EXPECT_EQ(read.refunds[0].charge_id, c1.charge_id);
  EXPECT_EQ(read.refunds[0].amount_minor, 2500);
  EXPECT_EQ(read.refunds[0].reason, "reservation_expired");
  EXPECT_GE(read.refunds[0].created_at_ms, before);

  ASSERT_EQ(read.emails.size(), 1u);
  EXPECT_EQ(read.emails[0].email_id, email.body.at("email_id").get<std::string>());
  EXPECT_EQ(read.emails[0].order_id, "o-1");
  EXPECT_EQ(read.emails[0].template_name, "order_cancelled");
  EXPECT_GE(read.emails[0].created_at_ms, before);
}

INSTANTIATE_TEST_SUITE_P(Stores, ProviderFacts, testing::EveryStore(), testing::StoreName);

}  // namespace
}  // namespace choreo::provider
