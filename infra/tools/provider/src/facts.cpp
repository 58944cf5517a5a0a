#include "choreo/provider/facts.hpp"

#include "choreo/store/records.hpp"

namespace choreo::provider::facts {

LedgerFacts ReadLedger(store::Tx& tx) {
  using Poco::Int64;
  using std::string;
  LedgerFacts data;
  data.charges = store::ReadRecords<ChargeRecord, string, string, Int64, string, Int64>(
      tx, "SELECT charge_id, order_id, amount_minor, status, created_at FROM provider_charges ORDER BY charge_id");
  data.refunds = store::ReadRecords<RefundRecord, string, string, Int64, string, Int64>(
      tx, "SELECT refund_id, charge_id, amount_minor, reason, created_at FROM provider_refunds ORDER BY refund_id");
  data.emails = store::ReadRecords<EmailRecord, string, string, string, Int64>(
      tx, "SELECT email_id, order_id, template, created_at FROM provider_emails ORDER BY email_id");
  return data;
}

}  // namespace choreo::provider::facts
