#include <cctype>
#include <string>

#include "choreo/store/sql.hpp"

namespace choreo::store {
namespace {

bool IsTagChar(char c, bool first) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalpha(u) || c == '_' || (!first && std::isdigit(u));
}

// Length of a dollar-quote opener ($$ or $tag$) at `at`, or 0.
std::size_t DollarTagLength(std::string_view sql, std::size_t at) {
  std::size_t i = at + 1;
  while (i < sql.size() && IsTagChar(sql[i], i == at + 1)) ++i;
  return i < sql.size() && sql[i] == '$' ? i - at + 1 : 0;
}

}  // namespace

std::string RewritePlaceholders(std::string_view sql, Dialect dialect) {
  if (dialect == Dialect::kSqlite) return std::string(sql);
  std::string out;
  out.reserve(sql.size() + 16);
  int next_parameter = 1;
  std::size_t i = 0;
  // Copies up to and including the first `terminator` at or after `from`, or to the end.
  auto copy_through = [&](std::size_t from, std::string_view terminator) {
    std::size_t end = sql.find(terminator, from);
    end = end == std::string_view::npos ? sql.size() : end + terminator.size();
    out.append(sql.substr(i, end - i));
    i = end;
  };
  while (i < sql.size()) {
    const char c = sql[i];
    if (c == '\'') {
      copy_through(i + 1, "'");  // '' escapes are two adjacent literals: same result
    } else if (c == '"') {
      copy_through(i + 1, "\"");
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      copy_through(i + 2, "\n");
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      copy_through(i + 2, "*/");
    } else if (std::size_t tag = c == '$' ? DollarTagLength(sql, i) : 0; tag > 0) {
      copy_through(i + tag, sql.substr(i, tag));
    } else if (c == '?') {
      out += '$';
      out += std::to_string(next_parameter++);
      ++i;
    } else {
      out += c;
      ++i;
    }
  }
  return out;
}

}  // namespace choreo::store
