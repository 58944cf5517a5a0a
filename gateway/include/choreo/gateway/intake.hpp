#pragma once
// Accepting an order: in ONE store transaction the intake record, the read model's first
// entry, the idempotency record (when the client sent a key) and the order.placed outbox
// row. The worker runtime's relay publishes the row after commit, whether or not the
// broker is reachable right now.
#include <functional>
#include <optional>
#include <string>

#include "choreo/gateway/idempotency.hpp"
#include "choreo/gateway/validation.hpp"
#include "choreo/store/store.hpp"

namespace choreo::gateway {

struct IntakeRequest {
  OrderRequest order;
  std::string canonical_body;  // the parsed body dumped with sorted keys
  std::string request_hash;    // RequestHash of the body
  // Already scoped to the caller (see Gateway): "<principal>:<Idempotency-Key>".
  std::optional<std::string> idempotency_key;
};

enum class IntakeOutcome {
  kAccepted,  // a new order
  kReplayed,  // same key, same body: the first response again
  kKeyReused, // same key, different body
  kInFlight,  // same key, the first request is still being handled
};

struct IntakeResult {
  IntakeOutcome outcome = IntakeOutcome::kAccepted;
  std::string order_id;       // kAccepted, kReplayed
  int status = 0;             // kAccepted, kReplayed: the HTTP status to answer
  std::string response_body;  // kAccepted, kReplayed
};

class OrderIntake {
 public:
  // `on_commit` runs after an order committed (wakes the outbox relay).
  OrderIntake(store::Store& store, std::function<void()> on_commit);

  // Throws store::StoreError when the store fails.
  IntakeResult Submit(const IntakeRequest& request);

  // Deletes idempotency records older than `ttl`; returns how many.
  std::size_t PurgeIdempotency(std::chrono::milliseconds ttl);

  // Test seam: runs inside the transaction after the idempotency look-up, before the
  // writes (lets tests hold a request "in flight").
  void SetBeforeWriteHook(std::function<void()> hook) { before_write_ = std::move(hook); }

 private:
  struct Stored {
    std::string request_hash;
    std::string order_id;
    int status = 0;
    std::string body;
  };
  static std::optional<Stored> FindKey(store::Tx& tx, const std::string& key);
  static IntakeResult FromStored(const Stored& stored, const std::string& request_hash);

  store::Store& store_;
  std::function<void()> on_commit_;
  std::function<void()> before_write_;
  InFlightKeys in_flight_;
};

}  // namespace choreo::gateway
