#include "choreo/contracts/catalog.hpp"

#include <array>

#include "choreo/contracts/events.hpp"

namespace choreo::contracts {
namespace {

template <class... Es>
constexpr auto MakeCatalog(EventList<Es...>) {
  return std::array<EventInfo, sizeof...(Es)>{
      EventInfo{Es::kType, Es::kVersion, Es::kExchange, Es::kProducer}...};
}

constexpr auto kCatalog = MakeCatalog(AllEvents{});

}  // namespace

std::span<const EventInfo> Events() { return kCatalog; }

const EventInfo* FindEvent(std::string_view type) {
  for (const auto& info : kCatalog) {
    if (info.type == type) return &info;
  }
  return nullptr;
}

}  // namespace choreo::contracts
