#pragma once
// Accepting an order: in ONE store transaction the intake record, the read model's first
// entry, the idempotency record (when the client sent a key) and the order.placed outbox
// row. The worker runtime's relay publishes the row after commit, whether or not the
// broker is reachable right now.
//
// Group commit: requests that arrive together share that transaction. Submit hands its
// request to one committer thread and waits; the committer takes what is queued (up to
// GroupCommitOptions::max_size, waiting up to `window` for more), writes them all in one
// transaction and completes each request after the commit. So durable acceptance costs one
// fsync per group, not per request. If the group's transaction fails, it is rolled back
// and every request of the group is written again alone, so one request whose writes fail
// (a store error) answers only for itself.
//
// The committer is the one thread every order waits for, so it only runs SQL: Submit
// builds the order id, the order.placed envelope and the response on the caller's thread.
// The idempotency key is claimed by the first write (INSERT ... ON CONFLICT DO NOTHING);
// only when that finds the key taken is the stored record read, so a new key costs one
// statement, not a look-up and an insert.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "choreo/contracts/envelope.hpp"
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
  // The request's span (contracts/trace.hpp): order.placed is sent as it.
  std::string traceparent;
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

struct GroupCommitOptions {
  std::size_t max_size = 64;  // requests per transaction at most; 1 = no grouping
  // How long the committer waits for more requests after the first one of a group; 0 =
  // take only what is already queued (requests still queue up while a commit runs).
  std::chrono::microseconds window{0};
};

class OrderIntake {
 public:
  // `on_commit` runs after orders committed (wakes the outbox relay). Starts the
  // committer thread.
  OrderIntake(store::Store& store, std::function<void()> on_commit, GroupCommitOptions group = {});
  // Completes what is queued, then stops the committer. Submit must not be running.
  ~OrderIntake();
  OrderIntake(const OrderIntake&) = delete;
  OrderIntake& operator=(const OrderIntake&) = delete;

  // Returns once the request's outcome is committed (group commit, see above). Throws
  // store::StoreError when the store fails.
  IntakeResult Submit(const IntakeRequest& request);

  // Deletes idempotency records older than `ttl`; returns how many.
  std::size_t PurgeIdempotency(std::chrono::milliseconds ttl);

  // Test seam: runs inside the transaction before the writes, the first of which claims
  // the idempotency key (lets tests hold a request "in flight").
  void SetBeforeWriteHook(std::function<void()> hook) { before_write_ = std::move(hook); }

 private:
  struct Stored {
    std::string request_hash;
    std::string order_id;
    int status = 0;
    std::string body;
  };
  // What accepting a request writes, built by Submit on the caller's thread.
  struct Placement {
    std::string order_id;
    std::string placed_at;
    contracts::Envelope envelope;  // order.placed
    std::string response_body;
  };
  // One request waiting for the committer. The committer sets `done` (and the result)
  // under `mutex`, so the waiter cannot return and destroy it before the notification.
  struct Pending {
    const IntakeRequest* request = nullptr;
    Placement placement;
    IntakeResult result;
    std::exception_ptr error;
    std::mutex mutex;
    std::condition_variable completed;
    bool done = false;
  };
  static Placement Prepare(const IntakeRequest& request);
  static std::optional<Stored> FindKey(store::Tx& tx, const std::string& key);
  static IntakeResult FromStored(const Stored& stored, const std::string& request_hash);
  // The writes of one request inside `tx` (or the stored answer for its key).
  IntakeResult Write(store::Tx& tx, const IntakeRequest& request, const Placement& placement);
  // One request in a transaction of its own.
  IntakeResult WriteAlone(const IntakeRequest& request, const Placement& placement);
  void CommitLoop();
  void CommitGroup(const std::vector<Pending*>& group);

  store::Store& store_;
  std::function<void()> on_commit_;
  GroupCommitOptions group_;
  std::function<void()> before_write_;
  InFlightKeys in_flight_;

  std::mutex mutex_;  // guards queue_ and stopping_
  std::condition_variable arrived_;
  std::deque<Pending*> queue_;
  bool stopping_ = false;
  std::thread committer_;  // last: starts after everything above exists
};

}  // namespace choreo::gateway
