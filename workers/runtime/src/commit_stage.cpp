#include "commit_stage.hpp"

#include <algorithm>

#include "choreo/outbox/inbox.hpp"
#include "choreo/worker/context.hpp"

namespace choreo::worker::detail {

bool CommitStage::HandleIn(store::Tx& tx, const contracts::Envelope& envelope, const Registered& registered,
                           int attempt, const std::any& effect_result) const {
  if (!outbox::TryRecord(tx, consumer_, envelope.message_id)) return false;
  Context ctx(envelope, tx, consumer_, attempt, registered.effect ? &effect_result : nullptr);
  registered.handler(ctx);
  return true;
}

bool CommitStage::Commit(std::vector<Item>& items) const {
  store_.InTransaction([&](store::Tx& tx) {
    for (Item& item : items) {
      item.duplicate = !HandleIn(tx, item.envelope, *item.registered, item.attempt, item.effect_result);
    }
  });
  return std::any_of(items.begin(), items.end(), [](const Item& i) { return !i.duplicate; });
}

}  // namespace choreo::worker::detail
