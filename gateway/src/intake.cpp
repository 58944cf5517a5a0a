#include "choreo/gateway/intake.hpp"

#include "choreo/contracts/events.hpp"
#include "choreo/contracts/time.hpp"
#include "choreo/gateway/read_model.hpp"
#include "choreo/outbox/outbox.hpp"
#include "choreo/worker/context.hpp"

namespace choreo::gateway {

using Poco::Data::Keywords::into;

OrderIntake::OrderIntake(store::Store& store, std::function<void()> on_commit)
    : store_(store), on_commit_(std::move(on_commit)) {}

std::optional<OrderIntake::Stored> OrderIntake::FindKey(store::Tx& tx, const std::string& key) {
  Stored stored;
  if (tx.Run("SELECT request_hash, order_id, response_status, response_body FROM gateway_idempotency "
             "WHERE scoped_key = ?",
             into(stored.request_hash), into(stored.order_id), into(stored.status), into(stored.body), key) == 0) {
    return std::nullopt;
  }
  return stored;
}

IntakeResult OrderIntake::FromStored(const Stored& stored, const std::string& request_hash) {
  if (stored.request_hash != request_hash) return {IntakeOutcome::kKeyReused, {}, 0, {}};
  return {IntakeOutcome::kReplayed, stored.order_id, stored.status, stored.body};
}

IntakeResult OrderIntake::Submit(const IntakeRequest& request) {
  std::optional<InFlightKeys::Lease> lease =
      request.idempotency_key ? in_flight_.TryAcquire(*request.idempotency_key) : std::nullopt;
  if (request.idempotency_key && !lease) return {IntakeOutcome::kInFlight, {}, 0, {}};
  IntakeResult result;
  try {
    result = store_.InTransaction([&](store::Tx& tx) -> IntakeResult {
      if (request.idempotency_key) {
        if (auto stored = FindKey(tx, *request.idempotency_key)) return FromStored(*stored, request.request_hash);
      }
      if (before_write_) before_write_();

      contracts::OrderPlaced event;
      event.order_id = contracts::NewUuid();
      event.customer_id = request.order.customer_id;
      event.lines = request.order.lines;
      event.payment = request.order.payment;
      event.shipping_address = request.order.shipping_address;
      event.placed_at = contracts::NowRfc3339();
      const std::int64_t now_ms = outbox::NowMs();

      IntakeResult accepted{IntakeOutcome::kAccepted, event.order_id, 202,
                            nlohmann::json{{"order_id", event.order_id}, {"status", "PLACED"}}.dump()};
      tx.Run("INSERT INTO gateway_orders (order_id, customer_id, request_json, idempotency_key, placed_at, "
             "created_at_ms) VALUES (?, ?, ?, ?, ?, ?)",
             event.order_id, event.customer_id, request.canonical_body, request.idempotency_key, event.placed_at,
             now_ms);
      RecordPlaced(tx, event.order_id, event.placed_at);
      if (request.idempotency_key) {
        tx.Run("INSERT INTO gateway_idempotency (scoped_key, request_hash, order_id, response_status, "
               "response_body, created_at_ms) VALUES (?, ?, ?, ?, ?, ?)",
               *request.idempotency_key, request.request_hash, event.order_id, accepted.status,
               accepted.response_body, now_ms);
      }
      worker::AppendEnvelope(tx, contracts::MakeEnvelope(event));
      return accepted;
    });
  } catch (const store::StoreError&) {
    if (!request.idempotency_key) throw;
    // Another replica committed the same key between our look-up and our insert (the
    // primary key refused ours). Its record is the answer; any other failure rethrows.
    auto stored = store_.InTransaction(
        [&](store::Tx& tx) { return FindKey(tx, *request.idempotency_key); });
    if (!stored) throw;
    return FromStored(*stored, request.request_hash);
  }
  if (result.outcome == IntakeOutcome::kAccepted && on_commit_) on_commit_();
  return result;
}

std::size_t OrderIntake::PurgeIdempotency(std::chrono::milliseconds ttl) {
  const std::int64_t cutoff = outbox::NowMs() - ttl.count();
  return store_.InTransaction(
      [&](store::Tx& tx) { return tx.Run("DELETE FROM gateway_idempotency WHERE created_at_ms < ?", cutoff); });
}

}  // namespace choreo::gateway
