#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

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

struct ReconnectOptions {
  bool enabled = true;
  std::chrono::milliseconds initial_delay{100};
  std::chrono::milliseconds max_delay{5000};
  // Each delay is scaled by a random factor in [1 - jitter, 1 + jitter] so that many
  // clients dropped by one broker restart do not come back in lockstep.
  double jitter = 0.2;
  // 0 = keep trying forever (services); tools may prefer a bound.
  int max_attempts = 0;

  void Validate() const;
};

struct ConnectionOptions {
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
