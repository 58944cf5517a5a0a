#pragma once
// Commit: inbox check, handler and outbox appends of one or more messages in ONE store
// transaction. A message the inbox already has is a duplicate: its handler does not run.
// The acknowledgement comes after this returns (the pipeline's), so a crash at any point
// either loses the transaction and the message is redelivered, or finds its inbox row.
#include <any>
#include <string>
#include <vector>

#include "choreo/contracts/envelope.hpp"
#include "choreo/store/store.hpp"
#include "validate_stage.hpp"

namespace choreo::worker::detail {

class CommitStage {
 public:
  // `consumer`: the inbox's consumer name (the component's).
  CommitStage(store::Store& store, std::string consumer) : store_(store), consumer_(std::move(consumer)) {}

  // From now on every transaction first takes the lock `name` (store::LockUntilEnd), so
  // the replicas of the worker commit one after the other. Before the pipeline runs.
  void SerializeTransactions(std::string name) { transaction_lock_ = std::move(name); }

  // Inbox check and handler of one message inside `tx`; false for a duplicate (the handler
  // did not run). The one place both a delivery and Pipeline::Handle go through.
  // The inbox row describes the message and its place in the trace (`handling`).
  bool HandleIn(store::Tx& tx, const contracts::Envelope& envelope, const Registered& registered, int attempt,
                const Handling& handling, const std::any& effect_result) const;

  // Every item in one transaction, each marked duplicate or not; commits or throws (and
  // then nothing of it happened). True when some item was new: its outbox rows wait.
  // The items are handled in the order of their correlation id (an order's messages
  // keep their delivery order among themselves): the per-order rows a handler locks are
  // then locked in one order by every replica's batch, which cannot deadlock.
  bool Commit(std::vector<Item>& items) const;

  // HandleIn in a transaction of its own; false for a duplicate.
  bool CommitOne(const contracts::Envelope& envelope, const Registered& registered, int attempt,
                 const Handling& handling, const std::any& effect_result) const;

 private:
  void Begin(store::Tx& tx) const;

  store::Store& store_;
  std::string consumer_;
  std::string transaction_lock_;
};

}  // namespace choreo::worker::detail
