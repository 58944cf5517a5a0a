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

  // Inbox check and handler of one message inside `tx`; false for a duplicate (the handler
  // did not run). The one place both a delivery and Pipeline::Handle go through.
  // The inbox row describes the message and its place in the trace (`handling`).
  bool HandleIn(store::Tx& tx, const contracts::Envelope& envelope, const Registered& registered, int attempt,
                const Handling& handling, const std::any& effect_result) const;

  // Every item in one transaction, each marked duplicate or not; commits or throws (and
  // then nothing of it happened). True when some item was new: its outbox rows wait.
  bool Commit(std::vector<Item>& items) const;

 private:
  store::Store& store_;
  std::string consumer_;
};

}  // namespace choreo::worker::detail
