#pragma once
// Plain-text and JSON output shared by every choreo-admin command and the audit report.
#include <cstddef>
#include <iosfwd>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "choreo/contracts/time.hpp"
#include "choreo/text/table.hpp"

namespace choreo::admin {

using text::Pad;
using text::PrintTable;

// `text` on one line, cut to `width` with "..." at the end.
std::string Cut(const std::string& text, std::size_t width);
// "-" for an empty value.
std::string Display(const std::string& text);
// "2h 14m ago", or "" without a time.
std::string AgeSince(const std::optional<contracts::Millis>& at);

// Indented JSON; invalid UTF-8 (message bodies, error texts) is replaced, never thrown on.
std::string PrettyJson(const nlohmann::json& value);

}  // namespace choreo::admin
