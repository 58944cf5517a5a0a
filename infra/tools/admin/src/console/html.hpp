#pragma once
// HTML for the console's pages, built as text on the server. Every value that comes from
// outside (message bodies, error messages, queue names, what the user typed) goes through
// Escape, in element text and in attribute values alike: a dead letter is untrusted input
// and must never script the operator's browser. The pages also forbid inline scripts
// (kContentSecurityPolicy), so an escaping slip would still not run. Pure: no I/O.
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace choreo::admin::console {

// &, <, >, " and ' as character references; everything else as is.
std::string Escape(std::string_view text);

// Percent-encodes one path segment or query value (everything but unreserved characters).
std::string UrlEncode(std::string_view text);

// "?a=1&b=x%20y&c=" from the pairs; "" when there are none. The result still goes through
// Escape when it is put into an attribute.
std::string QueryString(const std::vector<std::pair<std::string, std::string>>& pairs);

// The answer headers of every page.
inline constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
inline constexpr std::string_view kHtmlContentType = "text/html; charset=utf-8";

// A whole document: the navigation (with the order search box), `title` as heading and
// `body` (HTML, already escaped where needed) below it. `title` is escaped here.
std::string Page(std::string_view title, std::string_view body);

// <a href="href">text</a>, both escaped.
std::string Link(std::string_view href, std::string_view text);

// A table: header cells (escaped) and rows of cells that are HTML already.
std::string Table(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows);

// <span class="num">n</span>: a count, in a table cell.
std::string Number(std::size_t n);

// <p class="note">text</p> (escaped); `kind` is "note", "warning" or "error".
std::string Paragraph(std::string_view text, std::string_view kind = "note");

}  // namespace choreo::admin::console
