#include "choreo/payment/facts.hpp"

namespace choreo::payment::facts {

using Poco::Data::Keywords::into;

std::vector<PaymentRecord> ReadPayments(store::Tx& tx) {
  std::vector<std::string> ids, statuses, charges;
  std::vector<Poco::Int64> amounts;
  std::vector<std::optional<std::string>> refunds;
  tx.Run("SELECT order_id, status, charge_id, amount_minor, refund_id FROM payments ORDER BY order_id", into(ids),
         into(statuses), into(charges), into(amounts), into(refunds));
  std::vector<PaymentRecord> out;
  for (std::size_t i = 0; i < ids.size(); ++i) out.push_back({ids[i], statuses[i], charges[i], amounts[i], refunds[i]});
  return out;
}

}  // namespace choreo::payment::facts
