#pragma once
// Files compiled into the binary by contracts/cmake/embed_files.cmake.
#include <optional>
#include <span>
#include <string_view>

namespace choreo::contracts {

struct EmbeddedFile {
  std::string_view path;  // relative to contracts/schemas, e.g. "inventory.reserved/v1.json"
  std::string_view content;
};

// Every JSON Schema document of contracts/schemas/ (generated source).
std::span<const EmbeddedFile> EmbeddedSchemaFiles();

// The schema document at `path` (relative to contracts/schemas), if it is embedded.
std::optional<std::string_view> SchemaDocument(std::string_view path);

}  // namespace choreo::contracts
