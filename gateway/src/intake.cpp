#include "choreo/gateway/intake.hpp"

#include <algorithm>

#include "choreo/contracts/events.hpp"
#include "choreo/contracts/time.hpp"
#include "choreo/gateway/read_model.hpp"
#include "choreo/log/log.hpp"
#include "choreo/outbox/outbox.hpp"
#include "choreo/outbox/producer.hpp"

namespace choreo::gateway {

using Poco::Data::Keywords::into;

OrderIntake::OrderIntake(store::Store& store, std::function<void()> on_commit, GroupCommitOptions group)
    : store_(store), on_commit_(std::move(on_commit)), group_(group) {
  if (group_.max_size == 0) group_.max_size = 1;
  committer_ = std::thread([this] { CommitLoop(); });
}

OrderIntake::~OrderIntake() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  arrived_.notify_all();
  if (committer_.joinable()) committer_.join();
}

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

OrderIntake::Placement OrderIntake::Prepare(const IntakeRequest& request) {
  contracts::OrderPlaced event;
  event.order_id = contracts::NewTimeOrderedUuid();
  event.customer_id = request.order.customer_id;
  event.lines = request.order.lines;
  event.payment = request.order.payment;
  event.shipping_address = request.order.shipping_address;
  event.placed_at = contracts::NowRfc3339();
  Placement placement;
  placement.response_body = nlohmann::json{{"order_id", event.order_id}, {"status", "PLACED"}}.dump();
  placement.envelope = contracts::MakeEnvelope(event);
  // Unique like the v4 id it replaces, and the outbox's message_id index stays append-only.
  placement.envelope.message_id = contracts::NewTimeOrderedUuid();
  placement.envelope.traceparent = request.traceparent;
  placement.order_id = std::move(event.order_id);
  placement.placed_at = std::move(event.placed_at);
  return placement;
}

IntakeResult OrderIntake::Write(store::Tx& tx, const IntakeRequest& request, const Placement& placement) {
  if (before_write_) before_write_();
  const std::int64_t now_ms = outbox::NowMs();
  constexpr int kAcceptedStatus = 202;
  if (request.idempotency_key) {
    // Claims the key. On PostgreSQL this waits for another replica's uncommitted claim and
    // then finds its row, so replicas agree on one answer per key.
    if (tx.Run("INSERT INTO gateway_idempotency (scoped_key, request_hash, order_id, response_status, "
               "response_body, created_at_ms) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (scoped_key) DO NOTHING",
               *request.idempotency_key, request.request_hash, placement.order_id, kAcceptedStatus,
               placement.response_body, now_ms) == 0) {
      auto stored = FindKey(tx, *request.idempotency_key);
      // Purged between the two statements: the retry (transient) claims the key anew.
      if (!stored) throw store::TransientStoreError("idempotency record vanished while being read; retrying");
      return FromStored(*stored, request.request_hash);
    }
  }
  tx.Run("INSERT INTO gateway_orders (order_id, customer_id, request_json, idempotency_key, placed_at, "
         "created_at_ms) VALUES (?, ?, ?, ?, ?, ?)",
         placement.order_id, request.order.customer_id, request.canonical_body, request.idempotency_key,
         placement.placed_at, now_ms);
  RecordPlaced(tx, placement.order_id, placement.placed_at);
  outbox::AppendEnvelope(tx, placement.envelope);
  return {IntakeOutcome::kAccepted, placement.order_id, kAcceptedStatus, placement.response_body};
}

IntakeResult OrderIntake::WriteAlone(const IntakeRequest& request, const Placement& placement) {
  try {
    return store_.InTransaction([&](store::Tx& tx) { return Write(tx, request, placement); });
  } catch (const store::StoreError&) {
    if (!request.idempotency_key) throw;
    // The failed transaction wrote nothing. If the key has a committed record anyway
    // (another writer's), that is the answer; otherwise the error stands.
    auto stored = store_.InTransaction([&](store::Tx& tx) { return FindKey(tx, *request.idempotency_key); });
    if (!stored) throw;
    return FromStored(*stored, request.request_hash);
  }
}

IntakeResult OrderIntake::Submit(const IntakeRequest& request) {
  std::optional<InFlightKeys::Lease> lease =
      request.idempotency_key ? in_flight_.TryAcquire(*request.idempotency_key) : std::nullopt;
  if (request.idempotency_key && !lease) return {IntakeOutcome::kInFlight, {}, 0, {}};
  Pending pending;
  pending.request = &request;
  pending.placement = Prepare(request);
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(&pending);
  }
  arrived_.notify_one();
  std::unique_lock lock(pending.mutex);
  pending.completed.wait(lock, [&] { return pending.done; });
  if (pending.error) std::rethrow_exception(pending.error);
  return std::move(pending.result);
}

void OrderIntake::CommitLoop() {
  std::unique_lock lock(mutex_);
  while (true) {
    arrived_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left to complete
    if (group_.window.count() > 0 && queue_.size() < group_.max_size && !stopping_) {
      arrived_.wait_for(lock, group_.window, [this] { return stopping_ || queue_.size() >= group_.max_size; });
    }
    std::vector<Pending*> group;
    while (!queue_.empty() && group.size() < group_.max_size) {
      group.push_back(queue_.front());
      queue_.pop_front();
    }
    lock.unlock();
    CommitGroup(group);
    // Each waiter is woken alone (not all of them on one condition variable) and cannot
    // destroy its Pending before this notification released its mutex.
    for (Pending* pending : group) {
      std::lock_guard done(pending->mutex);
      pending->done = true;
      pending->completed.notify_one();
    }
    lock.lock();
  }
}

// Runs on the committer thread; records each request's result or exception (never throws).
void OrderIntake::CommitGroup(const std::vector<Pending*>& group) {
  bool grouped = false;
  if (group.size() > 1) {
    try {
      std::vector<IntakeResult> results = store_.InTransaction([&](store::Tx& tx) {
        std::vector<IntakeResult> written;
        written.reserve(group.size());
        for (const Pending* pending : group) written.push_back(Write(tx, *pending->request, pending->placement));
        return written;
      });
      for (std::size_t i = 0; i < group.size(); ++i) group[i]->result = std::move(results[i]);
      grouped = true;
    } catch (const std::exception& error) {
      log::Debug("intake group failed; writing its requests one by one",
                 {{"requests", group.size()}, {"error", error.what()}});
    } catch (...) {
      // Same: each request finds out for itself below.
    }
  }
  if (!grouped) {
    for (Pending* pending : group) {
      try {
        pending->result = WriteAlone(*pending->request, pending->placement);
      } catch (...) {
        pending->error = std::current_exception();
      }
    }
  }
  const bool accepted = std::any_of(group.begin(), group.end(), [](const Pending* pending) {
    return !pending->error && pending->result.outcome == IntakeOutcome::kAccepted;
  });
  if (!accepted || !on_commit_) return;
  try {
    on_commit_();
  } catch (...) {
    // Waking the relay early is an optimisation; its sweep finds the rows anyway.
  }
}

std::size_t OrderIntake::PurgeIdempotency(std::chrono::milliseconds ttl) {
  const std::int64_t cutoff = outbox::NowMs() - ttl.count();
  return store_.InTransaction(
      [&](store::Tx& tx) { return tx.Run("DELETE FROM gateway_idempotency WHERE created_at_ms < ?", cutoff); });
}

}  // namespace choreo::gateway
