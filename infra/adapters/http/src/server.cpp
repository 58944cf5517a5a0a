#include "choreo/http/server.hpp"

#include <algorithm>
#include <stdexcept>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>

#include "choreo/http/exchange.hpp"
#include "choreo/log/log.hpp"
#include "choreo/secrets/redact.hpp"

namespace choreo::http {

struct ServerCore {
  ServerOptions options;
  Router router;
  Observer observer;
};

namespace {

Poco::Timespan Span(std::chrono::milliseconds duration) {
  return Poco::Timespan(std::chrono::duration_cast<std::chrono::microseconds>(duration).count());
}

class RequestHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit RequestHandler(std::shared_ptr<const ServerCore> core) : core_(std::move(core)) {}

  void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
    const auto started = std::chrono::steady_clock::now();
    Exchange ex(request, response, core_->options);
    Dispatch(ex);
    if (!core_->observer) return;
    try {
      core_->observer(ex, std::chrono::steady_clock::now() - started);
    } catch (...) {
      // An observer (metrics) must never turn an answered request into a failure.
    }
  }

 private:
  void Dispatch(Exchange& ex) noexcept {
    try {
      if (!ex.UriValid()) {
        ex.SendProblem(400, "bad-uri", "Bad Request", "The request URI is not a valid URI.");
        return;
      }
      const Router& router = core_->router;
      RouteMatch match = router.Resolve(ex.Method(), ex.Path());
      switch (match.resolution) {
        case Resolution::kNotFound:
          ex.SendProblem(router.NotFound(ex.Method(), ex.Path()));
          return;
        case Resolution::kMethodNotAllowed:
          ex.SetRoute(match.path_template, {});
          ex.SetHeader("Allow", match.allow);
          ex.SendProblem(router.MethodNotAllowed(ex.Method(), match));
          return;
        case Resolution::kFound:
          ex.SetRoute(std::move(match.path_template), std::move(match.params));
          (*match.handler)(ex);
          if (!ex.Sent()) throw std::logic_error("the handler returned without an answer");
          return;
      }
    } catch (const std::exception& error) {
      Fail(ex, error.what());
    } catch (...) {
      Fail(ex, "non-standard exception");
    }
  }

  void Fail(Exchange& ex, std::string_view what) noexcept {
    try {
      // The route, not the URI: a query string may carry keys, and headers are never logged.
      log::Error("http request failed", {{"server", core_->options.name},
                                         {"method", Truncate(ex.Method(), 20)},
                                         {"route", ex.Route().empty() ? Truncate(ex.Path()) : ex.Route()},
                                         {"error", secrets::RedactUrl(what)}});
      // Once the header is out the status cannot change; the client sees a cut-off body.
      if (!ex.Sent()) {
        ex.SendProblem(500, "internal-error", "Internal Server Error",
                       "The " + core_->options.name + " failed to handle the request; it has been logged. Retry later.");
      }
    } catch (...) {
      // The connection is probably gone; nothing left to tell anyone.
    }
  }

  std::shared_ptr<const ServerCore> core_;
};

class HandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit HandlerFactory(std::shared_ptr<const ServerCore> core) : core_(std::move(core)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new RequestHandler(core_);
  }

 private:
  std::shared_ptr<const ServerCore> core_;
};

}  // namespace

void ServerOptions::Validate() const {
  auto fail = [this](const std::string& what) {
    throw std::invalid_argument("choreo::http: " + name + " server " + what);
  };
  if (name.empty()) throw std::invalid_argument("choreo::http: server name must not be empty");
  if (host.empty()) fail("host must not be empty");
  if (max_threads < 1 || max_threads > 1024) fail("max_threads must be 1..1024");
  if (max_queued < 1) fail("max_queued must be at least 1");
  if (io_timeout.count() <= 0) fail("io_timeout must be positive");
  if (keep_alive_timeout.count() <= 0) fail("keep_alive_timeout must be positive");
  if (max_keep_alive_requests < 0) fail("max_keep_alive_requests must not be negative");
  if (thread_idle_time.count() <= 0) fail("thread_idle_time must be positive");
  if (max_body_bytes == 0) fail("max_body_bytes must be at least 1");
  if (body_timeout.count() <= 0) fail("body_timeout must be positive");
}

Server::Server(ServerOptions options, Router router, Observer observer) {
  options.Validate();
  core_ = std::make_shared<const ServerCore>(ServerCore{std::move(options), std::move(router), std::move(observer)});
}

Server::~Server() {
  try {
    Stop();
  } catch (...) {
    // Destructors must not throw; Stop only fails if the process is already in trouble.
  }
}

void Server::Listen() {
  std::lock_guard lock(mutex_);
  if (socket_) return;
  const ServerOptions& options = core_->options;
  auto socket = std::make_unique<Poco::Net::ServerSocket>();
  try {
    // SO_REUSEADDR lets a restarted process bind while old connections sit in TIME_WAIT.
    // SO_REUSEPORT (which Poco's two-argument bind also sets) stays off: two processes
    // configured with the same port must fail loudly, not share requests at random.
    socket->bind(Poco::Net::SocketAddress(options.host, options.port), true, false);
    socket->listen(options.max_queued);
  } catch (const Poco::Exception& error) {
    throw std::runtime_error("choreo::http: " + options.name + " cannot listen on " + options.host + ":" +
                             std::to_string(options.port) + ": " + error.displayText());
  }
  port_ = socket->address().port();
  socket_ = std::move(socket);
}

void Server::Start() {
  Listen();
  std::lock_guard lock(mutex_);
  if (server_ || !socket_) return;
  const ServerOptions& options = core_->options;
  Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(options.max_threads);
  params->setMaxQueued(options.max_queued);
  params->setTimeout(Span(options.io_timeout));
  params->setKeepAlive(true);
  params->setKeepAliveTimeout(Span(options.keep_alive_timeout));
  params->setMaxKeepAliveRequests(options.max_keep_alive_requests);
  params->setThreadIdleTime(Span(options.thread_idle_time));
  params->setSoftwareVersion("choreo-" + options.name);
  // A pool of our own: Poco's default pool is shared process-wide and would let another
  // server starve this one (or this one starve it).
  auto pool = std::make_unique<Poco::ThreadPool>(std::min(2, options.max_threads), options.max_threads);
  auto server = std::make_unique<Poco::Net::HTTPServer>(new HandlerFactory(core_), *pool, *socket_, params);
  server->start();
  pool_ = std::move(pool);
  server_ = std::move(server);
  log::Info("http server listening", {{"server", options.name}, {"host", options.host}, {"port", port_}});
}

void Server::Stop() {
  std::unique_ptr<Poco::Net::HTTPServer> server;
  std::unique_ptr<Poco::ThreadPool> pool;
  std::unique_ptr<Poco::Net::ServerSocket> socket;
  {
    std::lock_guard lock(mutex_);
    server = std::move(server_);
    pool = std::move(pool_);
    socket = std::move(socket_);
    port_ = 0;
  }
  if (server) {
    // Idle keep-alive connections are shut down either way; requests in flight finish
    // unless abort_requests_on_stop.
    server->stopAll(core_->options.abort_requests_on_stop);
    // Handlers reference what the server's owner gave them; none may run once Stop returns.
    pool->joinAll();
    server.reset();
    pool.reset();
    log::Info("http server stopped", {{"server", core_->options.name}});
  }
  if (socket) socket->close();
}

std::uint16_t Server::Port() const {
  std::lock_guard lock(mutex_);
  return port_;
}

const ServerOptions& Server::Options() const { return core_->options; }

}  // namespace choreo::http
