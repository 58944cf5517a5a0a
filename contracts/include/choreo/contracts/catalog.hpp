#pragma once
// The events this build knows, as data: for code that handles events generically (the
// validator, the outbox relay choosing an exchange, the admin tool, the topology).
#include <span>
#include <string_view>

namespace choreo::contracts {

struct EventInfo {
  std::string_view type;      // = routing key
  std::string_view version;   // the version this build writes, "major.minor"
  std::string_view exchange;  // where it is published
  std::string_view producer;  // the component that publishes it
};

// In the order of AllEvents (events.hpp).
std::span<const EventInfo> Events();

// nullptr for a type this build does not know.
const EventInfo* FindEvent(std::string_view type);

}  // namespace choreo::contracts
