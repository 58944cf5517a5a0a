#include "handler_table.hpp"

#include <algorithm>
#include <stdexcept>

#include "choreo/contracts/catalog.hpp"

namespace choreo::worker::detail {

HandlerTable::HandlerTable(const std::string& component) : topology_(contracts::topology::ForWorker(component)) {}

void HandlerTable::Add(std::string event_type, RawHandler handler, RawEffect effect) {
  if (!contracts::FindEvent(event_type)) throw std::invalid_argument("no contract for event type '" + event_type + "'");
  const auto& events = topology_.events;
  if (std::find(events.begin(), events.end(), event_type) == events.end()) {
    throw std::invalid_argument("worker '" + topology_.worker + "' is not subscribed to '" + event_type +
                                "' in contracts/topology: add the subscription there first");
  }
  handlers_[std::move(event_type)] = Registered{std::move(handler), std::move(effect)};
}

const Registered* HandlerTable::Find(const std::string& event_type) const {
  auto found = handlers_.find(event_type);
  return found == handlers_.end() ? nullptr : &found->second;
}

}  // namespace choreo::worker::detail
