#pragma once
// What the provider stand-in's ledger holds, for readers outside it (choreo-admin
// audit). The SQL lives in src/facts.cpp, next to the ledger's migrations in
// src/ledger.cpp, and provider_facts_it reads a ledger written through the real Ledger:
// a schema change that breaks the reader fails the provider's own tests.
#include <cstdint>
#include <string>
#include <vector>

#include "choreo/store/store.hpp"

namespace choreo::provider::facts {

struct ChargeRecord {  // provider_charges
  std::string charge_id;
  std::string order_id;
  std::int64_t amount_minor = 0;
  std::string status;  // captured, declined
  std::int64_t created_at_ms = 0;
};

struct RefundRecord {  // provider_refunds
  std::string refund_id;
  std::string charge_id;
  std::int64_t amount_minor = 0;
  std::string reason;
  std::int64_t created_at_ms = 0;
};

struct EmailRecord {  // provider_emails
  std::string email_id;
  std::string order_id;
  std::string template_name;  // order_confirmed, order_cancelled
  std::int64_t created_at_ms = 0;
};

struct LedgerFacts {
  std::vector<ChargeRecord> charges;  // ordered by charge id
  std::vector<RefundRecord> refunds;  // ordered by refund id
  std::vector<EmailRecord> emails;    // ordered by e-mail id
};

LedgerFacts ReadLedger(store::Tx& tx);

}  // namespace choreo::provider::facts
