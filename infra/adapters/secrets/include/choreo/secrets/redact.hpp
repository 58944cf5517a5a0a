#pragma once
// The one function that hides passwords before a URL or connection string reaches a log
// line, an error message or a usage text. Every component uses it, so a form it misses is
// missed once and fixed once.
#include <string>
#include <string_view>

namespace choreo::secrets {

// What replaces a hidden value.
inline constexpr std::string_view kMask = "***";

// `text` with every password replaced by kMask:
//   scheme://user:PASSWORD@host/...        the password of the user info (the user stays);
//                                          the last '@' ends it, so unescaped '@', '/',
//                                          '?' or '#' in a password are hidden too
//   ...?password=X&...  ...&pwd=X          query parameters password, passwd, pass, pwd,
//                                          sslpassword (any case)
//   host=h password=X user=u               libpq keyword strings, also password = X and
//                                          quoted values password='a b\'c'
// Text holding none of these is returned unchanged; empty passwords stay empty. Where the
// input is ambiguous the function hides too much rather than too little. Never throws
// (except std::bad_alloc), whatever the input.
std::string RedactUrl(std::string_view text);

}  // namespace choreo::secrets
