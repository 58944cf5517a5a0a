#pragma once
// Timestamps on the wire are RFC 3339 strings in UTC with milliseconds
// ("2024-05-01T12:34:56.789Z"): sortable as text, readable in a DLQ dump, exact enough
// for ordering diagnostics.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace choreo::contracts {

using Millis = std::chrono::sys_time<std::chrono::milliseconds>;

std::string FormatRfc3339(std::chrono::system_clock::time_point at);
std::string NowRfc3339();

// Accepts any RFC 3339 date-time (fraction of any length, "Z" or a numeric offset) and
// returns it in UTC; nullopt if it is not one.
std::optional<Millis> ParseRfc3339(std::string_view text);

}  // namespace choreo::contracts
