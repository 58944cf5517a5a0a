#pragma once
// The HTTP gateway (docs/gateway.md) as an object, so main() and the integration
// tests run the same thing: a Poco HTTP server with a bounded thread pool and queue, on a
// choreo::worker::ComponentHost named "gateway" (store, migrations, the relay that
// publishes order.placed), with the runtime's pipeline on a background thread consuming
// the `gateway` queue into the read model.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "choreo/gateway/admission.hpp"
#include "choreo/store/store.hpp"

namespace choreo::worker {
class ComponentHost;
}

namespace choreo::gateway {

struct GatewayOptions {
  std::string listen_address = "127.0.0.1";
  int port = 8080;  // 0 = ephemeral (tests): read Gateway::Port()
  std::string amqp_url = "amqp://guest:guest@127.0.0.1:5672/";
  std::string store_url = "sqlite:var/data/gateway.db";
  std::size_t store_pool_size = 8;
  // Larger bodies get 413; with a Content-Length the body is not read at all.
  std::size_t max_body_bytes = 64 * 1024;
  // Connections served at once. Poco keeps a thread on a keep-alive connection until it
  // closes (max_keep_alive_requests, keep_alive_timeout), so with fewer threads than
  // client connections the others wait in the queue for whole connections: under 32
  // connections and 16 threads, p99 was over 1 s at an 11 ms median.
  int max_threads = 64;
  int max_queued = 64;   // accepted connections waiting for a thread; beyond, refused
  // Socket receive/send timeout: a client silent this long is dropped.
  std::chrono::milliseconds io_timeout{10000};
  // Deadline for receiving a whole request body (a client trickling bytes gets 408).
  std::chrono::milliseconds request_timeout{30000};
  std::chrono::milliseconds keep_alive_timeout{5000};
  int max_keep_alive_requests = 100;
  // Accepted `Authorization: Bearer <key>` values for /orders routes; empty: no auth.
  std::vector<std::string> api_keys;
  // Idempotency records are kept at least this long.
  std::chrono::milliseconds idempotency_ttl{std::chrono::hours(24)};
  // Group commit of concurrent POST /orders (see OrderIntake): at most this many requests
  // per store transaction, and how long to wait for more after the first.
  std::size_t group_commit_max_size = 64;
  std::chrono::microseconds group_commit_window{0};
  // Load shedding of POST /orders (429 per API key, 503 when the system is behind); see
  // AdmissionControl. By default only the intake backlog is bounded.
  AdmissionOptions admission;
  // Test seam (see OrderIntake::SetBeforeWriteHook).
  std::function<void()> before_write_hook;

  // Throws std::invalid_argument naming the offending field.
  void Validate() const;
};

class Gateway {
 public:
  // Opens the store and brings its schema (gateway tables, outbox, inbox) up to date, so
  // orders can be taken before the broker was ever reached. Throws on a bad option or an
  // unreachable store.
  explicit Gateway(GatewayOptions options);
  ~Gateway();  // Stop()
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Starts the host (relay), the consuming thread and the HTTP server. Throws if the port cannot be bound.
  void Start();
  // Stops taking requests, lets requests in flight finish, stops consuming and the relay.
  // Idempotent.
  void Stop();

  // The bound port after Start().
  std::uint16_t Port() const;
  // Whether the read model's pipeline consumes (the topology is declared); false on timeout.
  bool WaitUntilConsuming(std::chrono::milliseconds timeout);
  // False once the consuming thread failed.
  bool WorkerHealthy() const;

  store::Store& Store();
  // SIGTERM/SIGINT go here (worker::InstallSignalHandlers); main polls StopRequested().
  worker::ComponentHost& Host();
  const GatewayOptions& Options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace choreo::gateway
