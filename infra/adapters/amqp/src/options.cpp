#include "choreo/amqp/options.hpp"

#include <charconv>
#include <stdexcept>
#include <string>

#include "choreo/secrets/redact.hpp"
#include "choreo/text/percent.hpp"

namespace choreo::amqp {

namespace {

std::string PercentDecode(std::string_view s, std::string_view url) {
  try {
    return choreo::text::PercentDecode(s);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("AMQP URL has a " + std::string(e.what()) + ": " + std::string(url));
  }
}

[[noreturn]] void Invalid(const std::string& why, std::string_view url) {
  throw std::invalid_argument("invalid AMQP URL '" + secrets::RedactUrl(url) + "': " + why);
}

}  // namespace

AmqpUrl ParseUrl(std::string_view url) {
  constexpr std::string_view kScheme = "amqp://";
  if (url.substr(0, kScheme.size()) != kScheme) Invalid("scheme must be amqp://", url);
  std::string_view rest = url.substr(kScheme.size());
  if (auto q = rest.find_first_of("?#"); q != std::string_view::npos) rest = rest.substr(0, q);

  std::string_view authority = rest;
  std::string_view path;
  bool has_path = false;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    authority = rest.substr(0, slash);
    path = rest.substr(slash + 1);
    has_path = true;
  }

  AmqpUrl out;
  const std::string redacted = secrets::RedactUrl(url);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    if (auto colon = userinfo.find(':'); colon != std::string_view::npos) {
      out.user = PercentDecode(userinfo.substr(0, colon), redacted);
      out.password = PercentDecode(userinfo.substr(colon + 1), redacted);
    } else {
      out.user = PercentDecode(userinfo, redacted);
    }
  }

  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) Invalid("unterminated IPv6 address", url);
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') Invalid("junk after IPv6 address", url);
      port = after.substr(1);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  out.host = PercentDecode(host, redacted);
  if (out.host.empty()) Invalid("missing host", url);
  if (!port.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      Invalid("bad port '" + std::string(port) + "'", url);
    }
    out.port = static_cast<uint16_t>(value);
  }
  if (has_path && !path.empty()) {
    if (path.find('/') != std::string_view::npos) {
      Invalid("vhost must be one path segment (encode '/' as %2F)", url);
    }
    out.vhost = PercentDecode(path, redacted);
  }
  return out;
}

namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view Trimmed(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

std::vector<AmqpUrl> ParseUrls(std::string_view urls) {
  std::vector<std::string_view> items;
  for (std::size_t start = 0;;) {
    const std::size_t comma = urls.find(',', start);
    items.push_back(Trimmed(urls.substr(start, comma == std::string_view::npos ? comma : comma - start)));
    if (comma == std::string_view::npos) break;
    if (items.size() > kMaxUrls) break;  // the count check below says why; no need to read on
    start = comma + 1;
  }
  if (items.size() > kMaxUrls) {
    throw std::invalid_argument("AMQP URL list has more than " + std::to_string(kMaxUrls) +
                                " items (one per node of the cluster)");
  }
  if (items.size() == 1) {
    // A single URL keeps the errors it always had.
    if (items[0].empty()) throw std::invalid_argument("AMQP URL is empty");
    return {ParseUrl(items[0])};
  }
  std::vector<AmqpUrl> out;
  out.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string where =
        "AMQP URL list, item " + std::to_string(i + 1) + " of " + std::to_string(items.size());
    if (items[i].empty()) throw std::invalid_argument(where + " is empty (a stray comma?)");
    try {
      out.push_back(ParseUrl(items[i]));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(where + ": " + e.what());
    }
    const AmqpUrl& first = out.front();
    const AmqpUrl& url = out.back();
    if (url.user != first.user || url.password != first.password || url.vhost != first.vhost) {
      // Which of the three, but never their values: one of them is a password.
      const char* what = url.vhost != first.vhost ? "vhost" : "user or password";
      throw std::invalid_argument(where + " has another " + std::string(what) +
                                  " than item 1: the nodes of a cluster share their users and vhosts");
    }
  }
  return out;
}

std::string Endpoint(const AmqpUrl& url) {
  const bool ipv6 = url.host.find(':') != std::string::npos;
  return (ipv6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port);
}

void ReconnectOptions::Validate() const {
  if (initial_delay.count() <= 0) throw std::invalid_argument("reconnect.initial_delay must be > 0");
  if (max_delay < initial_delay) {
    throw std::invalid_argument("reconnect.max_delay must be >= reconnect.initial_delay");
  }
  if (!(jitter >= 0.0 && jitter < 1.0)) throw std::invalid_argument("reconnect.jitter must be in [0, 1)");
  if (max_attempts < 0) throw std::invalid_argument("reconnect.max_attempts must be >= 0");
}

void ConnectionOptions::Validate() const {
  ParseUrls(url);
  if (connect_timeout.count() <= 0) throw std::invalid_argument("connect_timeout must be > 0");
  if (rpc_timeout.count() <= 0) throw std::invalid_argument("rpc_timeout must be > 0");
  // 4096 is the AMQP minimum frame size; rabbitmq-c also refuses anything smaller.
  if (frame_max < 4096) throw std::invalid_argument("frame_max must be >= 4096");
  if (connection_name.empty()) throw std::invalid_argument("connection_name must not be empty");
  reconnect.Validate();
}

}  // namespace choreo::amqp
