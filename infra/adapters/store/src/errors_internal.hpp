#pragma once
// Raising store errors from native result codes; declared here, defined in errors.cpp
// next to the Poco translation so all classification lives in one file.
#include <string_view>

namespace choreo::store::detail {

// `rc` is a (possibly extended) SQLite result code.
[[noreturn]] void ThrowSqliteError(int rc, std::string_view message, std::string_view context);

// `sqlstate` may be empty when libpq had no server response (lost connection).
[[noreturn]] void ThrowPostgresError(std::string_view sqlstate, std::string_view message,
                                     std::string_view context);

[[noreturn]] void ThrowTransient(std::string_view message, std::string_view context);

}  // namespace choreo::store::detail
