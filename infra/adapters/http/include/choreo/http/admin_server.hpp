#pragma once
// The small HTTP endpoint every worker process exposes:
//   GET /healthz  200 {"status":"ok"}                         (the process is alive)
//   GET /readyz   200 {"status":"ready"} or 503 {"status":"not_ready","reason":"..."}
//   GET /metrics  200 Prometheus text exposition 0.0.4
// HEAD works on each of them; anything else is a 404 or 405 problem+json (RFC 9457).
// Runs on choreo::http::Server. Bind to loopback by default: the endpoint has no
// authentication.
#include "choreo/metrics/metrics.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace choreo::http {

class Server;

struct AdminServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0 = ephemeral (tests); the bound port is AdminServer::Port()
  int max_threads = 4;
  int max_queued = 64;
  // Receive/send timeout of a connection, and the keep-alive idle limit.
  std::chrono::milliseconds timeout{5000};
  // Throws std::invalid_argument.
  void Validate() const;
};

// Returns the empty string when ready, else the reason (e.g. "broker unreachable"). Called
// on a server thread for every /readyz request, so it must be thread-safe and quick. An
// exception counts as not ready, with its message as the reason.
using ReadinessCheck = std::function<std::string()>;

class AdminServer {
 public:
  // `registry` must outlive the server. An empty `ready` means always ready.
  AdminServer(AdminServerOptions options, metrics::Registry& registry, ReadinessCheck ready = {});
  ~AdminServer();  // stops; never throws
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds and starts serving; throws std::runtime_error naming host:port if the port cannot
  // be bound. No-op when already started. May be called again after Stop (with port 0, the
  // new port may differ).
  void Start();
  // Stops accepting, lets requests in flight finish, closes idle keep-alive connections and
  // waits for the server threads. No-op when not started.
  void Stop();
  // The bound port while started, else 0.
  uint16_t Port() const;

 private:
  std::unique_ptr<Server> server_;
};

}  // namespace choreo::http
