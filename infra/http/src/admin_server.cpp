#include "choreo/http/admin_server.hpp"

#include "choreo/http/problem.hpp"
#include "choreo/log/log.hpp"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>
#include <nlohmann/json.hpp>

#include <stdexcept>

namespace choreo::http {

namespace {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

struct Routes {
  metrics::Registry* registry;
  ReadinessCheck ready;
};

void SendJson(HTTPServerResponse& response, HTTPResponse::HTTPStatus status, const nlohmann::json& body) {
  const std::string text = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  response.setStatus(status);
  response.setContentType("application/json");
  response.sendBuffer(text.data(), text.size());
}

// Never throws: a failing check means "not ready", which is what an orchestrator must see.
std::string NotReadyReason(const ReadinessCheck& ready) {
  if (!ready) return {};
  try {
    return ready();
  } catch (const std::exception& e) {
    return std::string("readiness check failed: ") + e.what();
  } catch (...) {
    return "readiness check failed";
  }
}

class AdminHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit AdminHandler(std::shared_ptr<const Routes> routes) : routes_(std::move(routes)) {}

  void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
    try {
      Dispatch(request, response);
    } catch (const std::exception& e) {
      Fail(request, response, e.what());
    } catch (...) {
      Fail(request, response, "unknown exception");
    }
  }

 private:
  void Dispatch(HTTPServerRequest& request, HTTPServerResponse& response) {
    // Scrapers and probes never vary by query string; ignore it rather than 404.
    const std::string& uri = request.getURI();
    const std::string path = uri.substr(0, uri.find_first_of("?#"));
    const bool known = path == "/healthz" || path == "/readyz" || path == "/metrics";
    if (!known) {
      WriteProblem(response, HTTPResponse::HTTP_NOT_FOUND, "Not Found",
                   "no route for " + request.getMethod() + " " + path);
      return;
    }
    // Poco drops the body of HEAD answers itself, so HEAD comes for free.
    const std::string& method = request.getMethod();
    if (method != HTTPServerRequest::HTTP_GET && method != HTTPServerRequest::HTTP_HEAD) {
      response.set("Allow", "GET, HEAD");
      WriteProblem(response, HTTPResponse::HTTP_METHOD_NOT_ALLOWED, "Method Not Allowed",
                   path + " supports GET and HEAD, not " + method);
      return;
    }
    // Probe and scrape answers are point-in-time; a cache in between would lie.
    response.set("Cache-Control", "no-store");
    if (path == "/healthz") {
      SendJson(response, HTTPResponse::HTTP_OK, {{"status", "ok"}});
    } else if (path == "/readyz") {
      const std::string reason = NotReadyReason(routes_->ready);
      if (reason.empty()) {
        SendJson(response, HTTPResponse::HTTP_OK, {{"status", "ready"}});
      } else {
        SendJson(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE, {{"status", "not_ready"}, {"reason", reason}});
      }
    } else {
      const std::string text = routes_->registry->Render();
      response.setStatus(HTTPResponse::HTTP_OK);
      response.setContentType(kMetricsContentType);
      response.sendBuffer(text.data(), text.size());
    }
  }

  static void Fail(HTTPServerRequest& request, HTTPServerResponse& response, const std::string& what) noexcept {
    try {
      log::Error("admin request failed", {{"method", request.getMethod()}, {"uri", request.getURI()}, {"error", what}});
      // Once the header is out the status cannot change; the client sees a cut-off body.
      if (!response.sent()) {
        response.erase("Cache-Control");
        WriteProblem(response, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR, "Internal Server Error",
                     "the admin endpoint failed; see the process log");
      }
    } catch (...) {
      // The connection is probably gone; nothing left to tell anyone.
    }
  }

  std::shared_ptr<const Routes> routes_;
};

class AdminHandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit AdminHandlerFactory(std::shared_ptr<const Routes> routes) : routes_(std::move(routes)) {}

  Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
    return new AdminHandler(routes_);
  }

 private:
  std::shared_ptr<const Routes> routes_;
};

}  // namespace

void AdminServerOptions::Validate() const {
  if (host.empty()) throw std::invalid_argument("choreo::http: admin server host must not be empty");
  if (max_threads < 1) throw std::invalid_argument("choreo::http: admin server max_threads must be at least 1");
  if (max_queued < 1) throw std::invalid_argument("choreo::http: admin server max_queued must be at least 1");
  if (timeout <= std::chrono::milliseconds::zero()) {
    throw std::invalid_argument("choreo::http: admin server timeout must be positive");
  }
}

AdminServer::AdminServer(AdminServerOptions options, metrics::Registry& registry, ReadinessCheck ready)
    : options_(std::move(options)), registry_(registry), ready_(std::move(ready)) {
  options_.Validate();
}

AdminServer::~AdminServer() {
  try {
    Stop();
  } catch (...) {
    // Destructors must not throw; Stop only fails if the process is already in trouble.
  }
}

void AdminServer::Start() {
  std::lock_guard lock(mutex_);
  if (server_) return;
  const std::string where = options_.host + ":" + std::to_string(options_.port);
  Poco::Net::ServerSocket socket;
  try {
    // SO_REUSEADDR lets a restarted worker bind while old connections sit in TIME_WAIT.
    // SO_REUSEPORT (which Poco's two-argument bind also sets) stays off: two processes
    // configured with the same port must fail loudly, not share scrapes at random.
    socket.bind(Poco::Net::SocketAddress(options_.host, options_.port), true, false);
    socket.listen(options_.max_queued);
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("choreo::http: admin server cannot listen on " + where + ": " + e.displayText());
  }

  Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(options_.max_threads);
  params->setMaxQueued(options_.max_queued);
  const Poco::Timespan timeout(std::chrono::duration_cast<std::chrono::microseconds>(options_.timeout).count());
  params->setTimeout(timeout);
  params->setKeepAlive(true);
  params->setKeepAliveTimeout(timeout);
  params->setServerName("choreo");

  auto routes = std::make_shared<const Routes>(Routes{&registry_, ready_});
  // A pool of our own: Poco's default pool is shared process-wide and would let other
  // servers starve this one (or this one starve them).
  auto pool = std::make_unique<Poco::ThreadPool>(1, options_.max_threads);
  auto server = std::make_unique<Poco::Net::HTTPServer>(new AdminHandlerFactory(std::move(routes)), *pool, socket,
                                                        params);
  server->start();
  port_ = socket.address().port();
  pool_ = std::move(pool);
  server_ = std::move(server);
  log::Info("admin server listening", {{"host", options_.host}, {"port", port_}});
}

void AdminServer::Stop() {
  std::unique_ptr<Poco::Net::HTTPServer> server;
  std::unique_ptr<Poco::ThreadPool> pool;
  {
    std::lock_guard lock(mutex_);
    server = std::move(server_);
    pool = std::move(pool_);
    port_ = 0;
  }
  if (!server) return;
  // false: requests in flight finish, idle keep-alive connections are shut down.
  server->stopAll(false);
  // Handlers reference the registry; none may run once Stop returns.
  pool->joinAll();
  server.reset();
  pool.reset();
  log::Info("admin server stopped");
}

uint16_t AdminServer::Port() const {
  std::lock_guard lock(mutex_);
  return port_;
}

}  // namespace choreo::http
