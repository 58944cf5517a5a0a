#pragma once
// What the payment worker's store says about each order's payment, for readers outside
// the worker (choreo-admin audit). The SQL lives in src/facts.cpp, next to the migrations
// in src/payment.cpp, and payment_facts_it runs it against a store those migrations
// built: a schema change that breaks the reader fails the payment worker's own tests.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "choreo/store/store.hpp"

namespace choreo::payment::facts {

struct PaymentRecord {  // payments (the payment worker's view of the provider)
  std::string order_id;
  std::string status;  // captured, declined
  std::string charge_id;
  std::int64_t amount_minor = 0;
  std::optional<std::string> refund_id;
};

// Every payment the worker recorded, ordered by order id.
std::vector<PaymentRecord> ReadPayments(store::Tx& tx);

}  // namespace choreo::payment::facts
