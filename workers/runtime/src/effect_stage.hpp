#pragma once
// Effects: the calls to the outside world (a payment provider) of the items that have one,
// made outside any store transaction, up to `concurrency` at once, while the consuming
// thread keeps servicing its connections (concurrent.hpp). Items whose effect threw are
// moved out and returned, to be routed by the failure stage only AFTER the others are
// committed: routing publishes, and a broker failure there must not throw away effects
// that did happen (a charge the provider made) before they are recorded.
#include <any>
#include <cstddef>
#include <functional>
#include <vector>

#include "validate_stage.hpp"

namespace choreo::worker::detail {

struct EffectResults {
  std::vector<Item> failed;    // effect threw (effect_error set), in their original order
  bool any_succeeded = false;  // some effect returned: whatever it calls was reachable
};

// Calls `call` for every item of `items` that has an effect and stores what it returns in
// the item's effect_result (or what it throws in effect_error). `items` keeps the others,
// in order. `idle` runs on the calling thread while effects run elsewhere.
EffectResults RunEffects(std::vector<Item>& items, std::size_t concurrency, const std::function<std::any(Item&)>& call,
                         const std::function<void()>& idle);

}  // namespace choreo::worker::detail
