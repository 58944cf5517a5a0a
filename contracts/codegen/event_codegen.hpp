#pragma once
// The C++ side of the event contracts, written from their JSON Schemas: each event's struct
// (kType, kVersion, kExchange, kProducer, members, Fields()), the enums with their
// EnumNames, the shared types of schemas/common/v1.json and the AllEvents list. The schema
// is the one place an event is declared; the build runs this through
// choreo-contracts-codegen (codegen_main.cpp), so nobody writes these by hand.
//
// What a schema says for C++ (JSON Schema ignores x- keywords, so validators do not mind):
//   top level   x-choreo-cpp-name (struct name), x-choreo-version ("major.minor" this build
//               writes), x-choreo-exchange, x-choreo-producer; description = struct comment
//   properties  string -> std::string, integer -> std::int64_t, boolean -> bool,
//               array -> std::vector, not in `required` -> std::optional;
//               enum / object -> needs x-choreo-cpp-name (enumerators: "unknown_sku" ->
//               kUnknownSku); $ref into ../common/v1.json -> that definition's type;
//               description = the member's comment
// Floating point ("number") is refused: money is integer minor units.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace choreo::contracts::codegen {

struct SchemaInput {
  std::string path;  // relative to the schema root: "<type>/v<major>.json"
  nlohmann::ordered_json document;
};

struct GeneratedFile {
  std::string path;  // relative to the include root: "choreo/contracts/..."
  std::string content;
};

struct Options {
  bool common = false;    // also choreo/contracts/generated/common.hpp (shared types)
  bool registry = false;  // also choreo/contracts/generated/all_events.hpp (AllEvents)
};

// One header per type prefix ("inventory.reserved" -> inventory_events.hpp), in the order
// of `events`. Throws std::runtime_error naming the schema and the place it cannot map.
std::vector<GeneratedFile> Generate(const nlohmann::ordered_json& common, const std::vector<SchemaInput>& events,
                                    const Options& options);

// "inventory.reserved" -> "inventory_events.hpp" (relative to choreo/contracts/).
std::string HeaderOf(const std::string& event_type);

}  // namespace choreo::contracts::codegen
