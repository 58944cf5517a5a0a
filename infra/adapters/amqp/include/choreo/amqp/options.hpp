#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace choreo::amqp {

// The parts of amqp://user:pass@host:port/vhost, percent-decoded.
struct AmqpUrl {
  std::string host;
  uint16_t port = 5672;
  std::string user = "guest";
  std::string password = "guest";
  std::string vhost = "/";
};

// Throws std::invalid_argument for anything but a well-formed amqp:// URL. No path or
// an empty one means vhost "/"; "%2F" also means "/". Query parameters are ignored.
AmqpUrl ParseUrl(std::string_view url);

// A list longer than this is a configuration mistake (a cluster has a handful of nodes),
// and trying hundreds of dead addresses, each with its connect_timeout, would stall a
// reconnect for hours.
inline constexpr std::size_t kMaxUrls = 64;

// The nodes of one cluster as a comma-separated list of amqp:// URLs, tried in that order
// on the first connect: "amqp://u:p@h1:5672/v, amqp://u:p@h2:5672/v". Whitespace around
// an item is ignored; a single URL is a list of one. Throws std::invalid_argument (with
// every password hidden) for an empty list or item, a bad URL (named by its position),
// more than kMaxUrls items, or items that differ in user, password or vhost: a cluster
// shares its users and vhosts, so a difference is a mistake, not a choice.
std::vector<AmqpUrl> ParseUrls(std::string_view urls);

// "host:port" (IPv6 in brackets): how logs and errors name a node, without credentials.
std::string Endpoint(const AmqpUrl& url);

struct ReconnectOptions {
  bool enabled = true;
  std::chrono::milliseconds initial_delay{100};
  std::chrono::milliseconds max_delay{5000};
  // Each delay is scaled by a random factor in [1 - jitter, 1 + jitter] so that many
  // clients dropped by one broker restart do not come back in lockstep.
  double jitter = 0.2;
  // 0 = keep trying forever (services); tools may prefer a bound. One attempt is one
  // round over every URL of the list.
  int max_attempts = 0;

  void Validate() const;
};

struct ConnectionOptions {
  // One URL, or the comma-separated URLs of the nodes of a cluster (see ParseUrls). A
  // connection tries them in turn, each with connect_timeout; after losing its node it
  // starts with another one (see Connection).
  std::string url = "amqp://guest:guest@127.0.0.1:5672/";
  std::chrono::milliseconds connect_timeout{5000};
  // Bound on any synchronous request (declare, qos, close...). A broker that stops
  // answering must not freeze a worker forever.
  std::chrono::milliseconds rpc_timeout{30000};
  uint16_t heartbeat_seconds = 30;
  std::string connection_name = "choreo";  // shown in the management UI
  uint32_t frame_max = 131072;
  ReconnectOptions reconnect;

  // Throws std::invalid_argument naming the offending field.
  void Validate() const;
};

}  // namespace choreo::amqp
