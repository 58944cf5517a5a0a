#include "choreo/http/admin_server.hpp"

#include <stdexcept>

#include "choreo/http/exchange.hpp"
#include "choreo/http/server.hpp"

namespace choreo::http {

namespace {

constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

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

Router AdminRoutes(metrics::Registry& registry, ReadinessCheck ready) {
  // Probes and scrapers send HEAD now and then; answering it costs nothing.
  Router router(RouterOptions{.head_for_get = true});
  router.Add("GET", "/healthz", [](Exchange& ex) { ex.SendJson(200, {{"status", "ok"}}); });
  router.Add("GET", "/readyz", [ready = std::move(ready)](Exchange& ex) {
    const std::string reason = NotReadyReason(ready);
    if (reason.empty()) {
      ex.SendJson(200, {{"status", "ready"}});
    } else {
      ex.SendJson(503, {{"status", "not_ready"}, {"reason", reason}});
    }
  });
  router.Add("GET", "/metrics", [&registry](Exchange& ex) { ex.Send(200, kMetricsContentType, registry.Render()); });
  return router;
}

}  // namespace

void AdminServerOptions::Validate() const {
  if (host.empty()) throw std::invalid_argument("choreo::http: admin server host must not be empty");
  if (max_threads < 1) throw std::invalid_argument("choreo::http: admin server max_threads must be at least 1");
  if (max_queued < 1) throw std::invalid_argument("choreo::http: admin server max_queued must be at least 1");
  if (timeout <= std::chrono::milliseconds::zero()) {
    throw std::invalid_argument("choreo::http: admin server timeout must be positive");
  }
}

AdminServer::AdminServer(AdminServerOptions options, metrics::Registry& registry, ReadinessCheck ready) {
  options.Validate();
  server_ = std::make_unique<Server>(ServerOptions{.name = "admin",
                                                  .host = options.host,
                                                  .port = options.port,
                                                  .max_threads = options.max_threads,
                                                  .max_queued = options.max_queued,
                                                  .io_timeout = options.timeout,
                                                  .keep_alive_timeout = options.timeout},
                                    AdminRoutes(registry, std::move(ready)));
}

AdminServer::~AdminServer() = default;  // Server's destructor stops it

void AdminServer::Start() { server_->Start(); }

void AdminServer::Stop() { server_->Stop(); }

uint16_t AdminServer::Port() const { return server_->Port(); }

}  // namespace choreo::http
