#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <string>
#include <vector>

#include "choreo/secrets/redact.hpp"
#include "choreo/store/options.hpp"
#include "choreo/text/percent.hpp"

namespace choreo::store {
namespace {

constexpr std::string_view kSqliteScheme = "sqlite:";
constexpr std::string_view kPostgresSchemes[] = {"postgresql://", "postgres://"};

[[noreturn]] void Invalid(std::string_view url, std::string_view why) {
  throw std::invalid_argument("choreo::store: bad store URL '" + secrets::RedactUrl(url) + "': " +
                              std::string(why));
}

std::string PercentDecode(std::string_view url, std::string_view text) {
  try {
    return choreo::text::PercentDecode(text);
  } catch (const std::invalid_argument& e) {
    Invalid(url, e.what());
  }
}

// Poco's PostgreSQL connector splits the conninfo string on spaces, so a value holding
// whitespace would be cut in two (and libpq quoting would not survive it either).
void AddKeyword(std::string_view url, std::string& conninfo, std::string_view key,
                const std::string& value) {
  for (char c : value) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      Invalid(url, "value of '" + std::string(key) + "' contains whitespace");
    }
  }
  if (!conninfo.empty()) conninfo += ' ';
  conninfo.append(key).append("=").append(value);
}

StoreUrl ParsePostgres(std::string_view url, std::string_view rest) {
  StoreUrl parsed;
  parsed.dialect = Dialect::kPostgres;
  std::string& conninfo = parsed.postgres_conninfo;

  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string_view path;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    path = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  std::string_view authority = rest;
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    std::string_view user = userinfo;
    if (auto colon = userinfo.find(':'); colon != std::string_view::npos) {
      user = userinfo.substr(0, colon);
      AddKeyword(url, conninfo, "password", PercentDecode(url, userinfo.substr(colon + 1)));
    }
    if (!user.empty()) AddKeyword(url, conninfo, "user", PercentDecode(url, user));
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {  // [IPv6]:port
    auto close = authority.find(']');
    if (close == std::string_view::npos) Invalid(url, "unterminated [IPv6] host");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') Invalid(url, "junk after [IPv6] host");
      port = after.substr(1);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.find(',') != std::string_view::npos) Invalid(url, "several hosts are not supported");
  if (!host.empty()) AddKeyword(url, conninfo, "host", PercentDecode(url, host));
  if (!port.empty()) {
    for (char c : port) {
      if (!std::isdigit(static_cast<unsigned char>(c))) Invalid(url, "port is not a number");
    }
    AddKeyword(url, conninfo, "port", std::string(port));
  }
  if (!path.empty()) AddKeyword(url, conninfo, "dbname", PercentDecode(url, path));

  while (!query.empty()) {
    std::string_view pair = query.substr(0, query.find('&'));
    query.remove_prefix(std::min(query.size(), pair.size() + 1));
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0) Invalid(url, "query parameter without key=value");
    AddKeyword(url, conninfo, PercentDecode(url, pair.substr(0, eq)),
               PercentDecode(url, pair.substr(eq + 1)));
  }
  return parsed;
}

}  // namespace

StoreUrl ParseStoreUrl(std::string_view url) {
  for (std::string_view scheme : kPostgresSchemes) {
    if (url.starts_with(scheme)) return ParsePostgres(url, url.substr(scheme.size()));
  }
  if (url.starts_with(kSqliteScheme)) {
    std::string_view path = url.substr(kSqliteScheme.size());
    if (path.starts_with("//")) path.remove_prefix(2);
    if (path.empty()) Invalid(url, "missing SQLite file path (sqlite:PATH or sqlite::memory:)");
    StoreUrl parsed;
    parsed.dialect = Dialect::kSqlite;
    parsed.sqlite_path = std::string(path);
    return parsed;
  }
  Invalid(url, "unknown scheme (expected sqlite:PATH, postgresql://... or postgres://...)");
}

void StoreOptions::Validate() const {
  auto fail = [](const std::string& why) {
    throw std::invalid_argument("choreo::store::StoreOptions: " + why);
  };
  if (url.empty()) fail("url is empty");
  ParseStoreUrl(url);
  if (pool_size < 1) fail("pool_size must be at least 1");
  if (busy_timeout.count() < 0) fail("busy_timeout must not be negative");
  if (acquire_timeout.count() <= 0) fail("acquire_timeout must be positive");
  if (connect_timeout.count() <= 0) fail("connect_timeout must be positive");
  if (idle_transaction_timeout.count() < 0) fail("idle_transaction_timeout must not be negative");
  if (transient_retries < 0) fail("transient_retries must not be negative");
  if (retry_backoff.count() < 0) fail("retry_backoff must not be negative");
}

}  // namespace choreo::store
