#pragma once
// The HTTP server every choreo process runs (the gateway, the provider stand-in, each
// worker's admin endpoint): a Poco::Net::HTTPServer with a bounded thread pool of its own,
// a Router, and one answer policy:
//   - unknown path 404, known path with another method 405 with Allow (problem+json);
//   - body limits (411, 413, 408) and content types (415) through Exchange;
//   - an exception from a handler, or a handler that does not answer, is logged (method,
//     route, error with passwords redacted; never headers or query) and answered 500;
//   - every answer carries Cache-Control: no-store (they are all point-in-time).
// Binds to 127.0.0.1 by default: none of these servers is meant to face the internet.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "choreo/http/router.hpp"

namespace Poco {
class ThreadPool;
namespace Net {
class HTTPServer;
class ServerSocket;
}  // namespace Net
}  // namespace Poco

namespace choreo::http {

struct ServerOptions {
  // Names the server in log lines and the Server header ("choreo-<name>").
  std::string name = "http";
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0 = ephemeral (tests); the bound port is Server::Port()
  // Connections served at once: Poco keeps a thread on a keep-alive connection until it
  // closes, so this bounds client connections, not requests.
  int max_threads = 16;
  int max_queued = 64;  // accepted connections waiting for a thread; beyond, refused
  // Socket receive/send timeout: a client silent this long is dropped.
  std::chrono::milliseconds io_timeout{10000};
  std::chrono::milliseconds keep_alive_timeout{5000};
  int max_keep_alive_requests = 0;  // requests per connection; 0: unlimited
  // How long an idle dispatcher thread waits for the next connection. Poco wakes only one
  // of them on stop and Stop() waits for all, so this bounds how long Stop() takes.
  std::chrono::milliseconds thread_idle_time{200};
  // Stop(): false lets requests in flight finish; true cuts their connections too.
  bool abort_requests_on_stop = false;
  // Exchange::ReadBody: larger bodies get 413 (announced ones without being read), and
  // the whole body must arrive within body_timeout (else 408).
  std::size_t max_body_bytes = 64 * 1024;
  std::chrono::milliseconds body_timeout{30000};
  // Problem types this server's answers use: prefix + slug ("urn:choreo:problem:" +
  // "body-too-large"). Empty: every problem is about:blank.
  std::string problem_type_prefix;

  // Throws std::invalid_argument naming the field.
  void Validate() const;
};

class Exchange;
struct ServerCore;  // what the request threads share; internal

// Called after each answer (also 404s and 500s) with the time it took, e.g. for request
// metrics; an exception it throws is swallowed.
using Observer = std::function<void(const Exchange&, std::chrono::steady_clock::duration)>;

class Server {
 public:
  // Validates the options (throws std::invalid_argument); binds nothing yet.
  Server(ServerOptions options, Router router, Observer observer = {});
  ~Server();  // Stop(); never throws
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens without serving yet, so Port() is known and a port in use fails
  // before anything else starts. Throws std::runtime_error naming host:port. No-op when
  // listening already.
  void Listen();
  // Listen() if needed, then serves. No-op when serving. May be called again after Stop
  // (with port 0, the new port may differ).
  void Start();
  // Stops accepting, closes idle keep-alive connections, lets requests in flight finish
  // (or cuts them, see abort_requests_on_stop), waits for the server threads and releases
  // the port. No handler runs once it returns. No-op when not listening.
  void Stop();

  // The bound port while listening, else 0.
  std::uint16_t Port() const;
  const ServerOptions& Options() const;

 private:
  std::shared_ptr<const ServerCore> core_;
  mutable std::mutex mutex_;
  std::unique_ptr<Poco::Net::ServerSocket> socket_;
  std::unique_ptr<Poco::ThreadPool> pool_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::uint16_t port_ = 0;
};

}  // namespace choreo::http
