#pragma once
// Shared by the contracts tests: iteration over every event type and access to the
// embedded golden examples and schemas.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "choreo/contracts/embedded.hpp"
#include "choreo/contracts/events.hpp"
#include "yaml_subset.hpp"

namespace choreo::contracts::testing {

// Calls f.template operator()<E>() for every event type E of AllEvents.
template <class F, class... Es>
void ForEachEvent(EventList<Es...>, F&& f) {
  (f.template operator()<Es>(), ...);
}
template <class F>
void ForEachEvent(F&& f) {
  ForEachEvent(AllEvents{}, std::forward<F>(f));
}

inline std::string MajorOf(std::string_view version) {
  return std::string(version.substr(0, version.find('.')));
}

inline std::string ExamplePath(std::string_view type, std::string_view version) {
  return "examples/" + std::string(type) + ".v" + MajorOf(version) + ".json";
}

inline std::string SchemaPath(std::string_view type, std::string_view version) {
  return std::string(type) + "/v" + MajorOf(version) + ".json";
}

inline nlohmann::json Example(std::string_view type, std::string_view version = "1.0") {
  return nlohmann::json::parse(TestFile(ExamplePath(type, version)));
}

inline nlohmann::json Schema(std::string_view type, std::string_view version = "1.0") {
  const auto text = SchemaDocument(SchemaPath(type, version));
  if (!text) throw std::out_of_range("no schema for " + std::string(type));
  return nlohmann::json::parse(*text);
}

}  // namespace choreo::contracts::testing
