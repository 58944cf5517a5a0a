#include "choreo/provider/facts.hpp"

namespace choreo::provider::facts {

using Poco::Data::Keywords::into;

LedgerFacts ReadLedger(store::Tx& tx) {
  LedgerFacts data;
  {
    std::vector<std::string> ids, orders, statuses;
    std::vector<Poco::Int64> amounts, created;
    tx.Run("SELECT charge_id, order_id, amount_minor, status, created_at FROM provider_charges ORDER BY charge_id",
           into(ids), into(orders), into(amounts), into(statuses), into(created));
    for (std::size_t i = 0; i < ids.size(); ++i) {
      data.charges.push_back({ids[i], orders[i], amounts[i], statuses[i], created[i]});
    }
  }
  {
    std::vector<std::string> ids, charges, reasons;
    std::vector<Poco::Int64> amounts, created;
    tx.Run("SELECT refund_id, charge_id, amount_minor, reason, created_at FROM provider_refunds ORDER BY refund_id",
           into(ids), into(charges), into(amounts), into(reasons), into(created));
    for (std::size_t i = 0; i < ids.size(); ++i) {
      data.refunds.push_back({ids[i], charges[i], amounts[i], reasons[i], created[i]});
    }
  }
  {
    std::vector<std::string> ids, orders, templates;
    std::vector<Poco::Int64> created;
    tx.Run("SELECT email_id, order_id, template, created_at FROM provider_emails ORDER BY email_id", into(ids),
           into(orders), into(templates), into(created));
    for (std::size_t i = 0; i < ids.size(); ++i) data.emails.push_back({ids[i], orders[i], templates[i], created[i]});
  }
  return data;
}

}  // namespace choreo::provider::facts
