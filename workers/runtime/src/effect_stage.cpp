#include "effect_stage.hpp"

#include <algorithm>

#include "concurrent.hpp"

namespace choreo::worker::detail {

EffectResults RunEffects(std::vector<Item>& items, std::size_t concurrency, const std::function<std::any(Item&)>& call,
                         const std::function<void()>& idle) {
  std::vector<Item*> todo;
  for (Item& item : items) {
    if (item.registered->effect) todo.push_back(&item);
  }
  EffectResults results;
  if (todo.empty()) return results;
  RunConcurrently(
      todo.size(), concurrency,
      [&](std::size_t i) {
        Item& item = *todo[i];
        try {
          item.effect_result = call(item);
        } catch (...) {
          item.effect_error = std::current_exception();
        }
      },
      idle);
  results.any_succeeded = std::any_of(todo.begin(), todo.end(), [](const Item* i) { return !i->effect_error; });
  std::vector<Item> kept;
  kept.reserve(items.size());
  for (Item& item : items) (item.effect_error ? results.failed : kept).push_back(std::move(item));
  items = std::move(kept);
  return results;
}

}  // namespace choreo::worker::detail
