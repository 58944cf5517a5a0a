#pragma once
// Test-only helpers: a reader for the block-style YAML subset asyncapi.yaml keeps to
// (no YAML library is a project dependency), and the files the build embeds for tests.
#include <span>
#include <string_view>

#include <nlohmann/json.hpp>

#include "choreo/contracts/embedded.hpp"

namespace choreo::contracts {

// Block mappings and sequences, "- key: value" items, plain / single- / double-quoted
// scalars, flow lists of scalars ("[a, b]"), literal and folded block scalars, comments.
// Plain integers and true/false/null become JSON numbers/booleans/null, all else strings.
// Anything outside the subset (flow mappings, anchors, tabs) throws std::runtime_error
// naming the line, so the document cannot drift into something this reads wrongly.
nlohmann::json ParseYamlSubset(std::string_view text);

// examples/*.json, relative to contracts/ (generated source).
std::span<const EmbeddedFile> EmbeddedTestFiles();

// What the build generates for tests to read: asyncapi.yaml (generated source).
std::span<const EmbeddedFile> EmbeddedGeneratedTestFiles();

// The embedded test file at `path`, of either list; throws std::out_of_range if there is none.
std::string_view TestFile(std::string_view path);

}  // namespace choreo::contracts
