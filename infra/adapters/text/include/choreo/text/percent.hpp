#pragma once
// The %XX escapes of URLs (user, password, vhost, database names).
#include <string>
#include <string_view>

namespace choreo::text {

// `text` with every %XX escape decoded (hex digits of either case); any other character,
// '+' included, is kept. Throws std::invalid_argument "truncated %-escape" or "bad %-escape",
// which the caller puts into its own message (without the URL's password).
std::string PercentDecode(std::string_view text);

}  // namespace choreo::text
