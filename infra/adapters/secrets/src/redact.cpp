#include "choreo/secrets/redact.hpp"

#include <cstddef>

namespace choreo::secrets {

namespace {

constexpr std::size_t kNone = std::string_view::npos;

// Query parameters and libpq keywords whose value is a password. Matched whole and in
// any case, so "passfile" (a path) stays.
constexpr std::string_view kSecretKeys[] = {"password", "passwd", "pass", "pwd", "sslpassword"};

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool IsSchemeChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '-' ||
         c == '.';
}

// Where the authority of the first "scheme://" starts, or kNone.
std::size_t AuthorityStart(std::string_view text) {
  const std::size_t separator = text.find("://");
  if (separator == kNone || separator == 0 || !IsSchemeChar(text[separator - 1])) return kNone;
  return separator + 3;
}

// scheme://user:PASSWORD@host: the password runs from the first ':' of the authority to
// the last '@' of the text. Passwords often hold unescaped '@', '/', '?' or '#'; an '@'
// later in the text (a query value, say) only makes the mask cover too much.
void RedactUserInfo(std::string& text) {
  const std::size_t start = AuthorityStart(text);
  if (start == kNone) return;
  const std::size_t at = text.rfind('@');
  if (at == kNone || at < start) return;
  const std::size_t colon = text.find(':', start);
  if (colon == kNone || colon >= at || colon + 1 == at) return;  // no password, or an empty one
  text.replace(colon + 1, at - colon - 1, kMask);
}

// Length of the secret key at `pos` followed by '=' (blanks around it allowed, as libpq
// does), up to and including the '=' and the blanks after it; 0 when there is none.
std::size_t SecretKeyAt(const std::string& text, std::size_t pos) {
  if (pos > 0) {
    const char before = text[pos - 1];
    if (!(IsSpace(before) || before == '?' || before == '&' || before == ';')) return 0;
  }
  for (std::string_view key : kSecretKeys) {
    if (text.size() - pos < key.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < key.size() && same; ++i) same = Lower(text[pos + i]) == key[i];
    if (!same) continue;
    std::size_t i = pos + key.size();
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    if (i >= text.size() || text[i] != '=') continue;
    ++i;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    return i - pos;
  }
  return 0;
}

// End of the value starting at `begin`: in a URL at '&', '#' or a blank; in a keyword
// string at a blank, or after the closing quote of a quoted value ('a b\'c').
std::size_t ValueEnd(const std::string& text, std::size_t begin, bool in_url) {
  std::size_t i = begin;
  if (!in_url && i < text.size() && text[i] == '\'') {
    for (++i; i < text.size(); ++i) {
      if (text[i] == '\\') {
        ++i;
      } else if (text[i] == '\'') {
        return i + 1;
      }
    }
    return text.size();  // unterminated: hide the rest
  }
  while (i < text.size() && !IsSpace(text[i]) && !(in_url && (text[i] == '&' || text[i] == '#'))) ++i;
  return i;
}

void RedactKeyValues(std::string& text) {
  const bool in_url = AuthorityStart(text) != kNone;
  for (std::size_t pos = 0; pos < text.size(); ++pos) {
    const std::size_t key_length = SecretKeyAt(text, pos);
    if (key_length == 0) continue;
    const std::size_t begin = pos + key_length;
    const std::size_t end = ValueEnd(text, begin, in_url);
    if (end == begin) continue;  // empty value: nothing to hide
    const bool quoted = !in_url && text[begin] == '\'';
    const std::string mask = quoted ? "'" + std::string(kMask) + "'" : std::string(kMask);
    text.replace(begin, end - begin, mask);
    pos = begin + mask.size() - 1;
  }
}

}  // namespace

std::string RedactUrl(std::string_view text) {
  std::string out(text);
  RedactUserInfo(out);
  RedactKeyValues(out);
  return out;
}

}  // namespace choreo::secrets
