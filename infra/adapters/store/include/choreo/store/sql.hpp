#pragma once
#include <string>
#include <string_view>

#include "choreo/store/options.hpp"

namespace choreo::store {

// Statements are written once with `?` placeholders (SQLite's style). For PostgreSQL,
// whose Poco connector only understands `$1, $2, ...`, each `?` becomes `$n` in order.
// A `?` inside a '...' literal, a "..." identifier, a -- or /* */ comment is left alone.
// PostgreSQL's jsonb `?` operators therefore cannot be written directly: use
// jsonb_exists() / jsonb_exists_any() instead. Don't write `$n` in SQL text yourself:
// Poco counts every `$digit` (even inside literals) as a parameter.
std::string RewritePlaceholders(std::string_view sql, Dialect dialect);

}  // namespace choreo::store
