#pragma once
// The provider's ledger: every charge, refund and e-mail it ever accepted, plus the
// first response given for each idempotency key. One store transaction per request, so
// an auditor can check afterwards that each effect happened exactly once.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "choreo/provider/protocol.hpp"
#include "choreo/store/store.hpp"

namespace choreo::provider {

// A response to send: HTTP status and JSON body. `replayed` marks a response stored for
// an earlier request with the same idempotency key.
struct Reply {
  int status = 200;
  nlohmann::json body = nlohmann::json::object();
  bool replayed = false;
};

struct LedgerOptions {
  // tok_flaky answers 503 this many times per idempotency key before it succeeds.
  int flaky_failures = 2;

  void Validate() const;  // throws std::invalid_argument
};

// Thread-safe as far as the store is (any number of threads, one transaction each).
//
// Idempotency: each mutating call first claims its key with
// INSERT ... ON CONFLICT DO NOTHING in the transaction that also applies the effect and
// stores the response. A concurrent request with the same key therefore waits for that
// transaction (SQLite: the write lock; PostgreSQL: the unique index), then finds the claim
// and replays the stored response. Same key with another request -> 422, not stored.
class Ledger {
 public:
  // Brings the schema up to date (component "choreo.provider"). Throws StoreError.
  Ledger(store::Store& store, LedgerOptions options);

  // 201 captured | 402 declined (card_declined, invalid_token) | 503 (tok_flaky, not stored)
  Reply Charge(std::string_view idempotency_key, const ChargeRequest& request);
  // 201 refunded | 404 unknown charge | 409 charge not captured or refunds would exceed it
  Reply Refund(std::string_view idempotency_key, const RefundRequest& request);
  // 202 queued
  Reply SendEmail(std::string_view idempotency_key, const EmailRequest& request);

  // The charge made under `idempotency_key`: 200 with it (captured or declined) | 404
  // none. A read: it claims nothing, so a charge still in flight answers 404.
  Reply FindCharge(std::string_view idempotency_key);

  // {"charges":[...], "refunds":[...], "emails":[...]}, each ordered by creation time.
  nlohmann::json Snapshot();

 private:
  store::Store& store_;
  LedgerOptions options_;
};

}  // namespace choreo::provider
