// The gateway's HTTP server: choreo::http::Server with the gateway's routes, API-key
// authentication on the order routes, and request metrics by route template.
#include <optional>
#include <stdexcept>

#include <Poco/String.h>

#include "choreo/gateway/idempotency.hpp"
#include "choreo/gateway/openapi.hpp"
#include "choreo/gateway/routes.hpp"
#include "service.hpp"

namespace choreo::gateway {

namespace {

using PrincipalHandler = std::function<void(http::Exchange&, const std::string& principal)>;

// The caller's principal (a prefix of its key's hash, never the key), or nullopt after
// answering 401.
std::optional<std::string> Authenticate(const Service& service, http::Exchange& ex) {
  const std::string& header = ex.Request().get("Authorization", "");
  constexpr std::string_view kBearer = "bearer ";
  std::string detail = "Send 'Authorization: Bearer <api key>'.";
  if (header.size() > kBearer.size() && Poco::icompare(header.substr(0, kBearer.size()), std::string(kBearer)) == 0) {
    const std::string presented = Sha256Hex(std::string_view(header).substr(kBearer.size()));
    // Compare against every key, byte by byte without early exit, so timing does not
    // tell how close a guess was.
    const std::string* found = nullptr;
    for (const auto& hash : service.key_hashes) {
      unsigned diff = hash.size() ^ presented.size();
      for (std::size_t i = 0; i < hash.size() && i < presented.size(); ++i) {
        diff |= static_cast<unsigned>(hash[i] ^ presented[i]);
      }
      if (diff == 0) found = &hash;
    }
    if (found != nullptr) return found->substr(0, 16);
    detail = "The API key is not valid.";
  }
  ex.SetHeader("WWW-Authenticate", "Bearer realm=\"choreo\"");
  ex.SendProblem(401, "unauthorized", "Unauthorized", detail);
  return std::nullopt;
}

http::Handler WithPrincipal(Service& service, const Operation& operation, PrincipalHandler handler) {
  const bool authenticated = operation.authenticated;
  return [&service, authenticated, handler = std::move(handler)](http::Exchange& ex) {
    std::string principal = "anonymous";
    if (authenticated && !service.key_hashes.empty()) {
      auto caller = Authenticate(service, ex);
      if (!caller) return;
      principal = *caller;
    }
    handler(ex, principal);
  };
}

http::Handler HandlerFor(Service& service, const RouteSpec& route, const Operation& operation) {
  switch (route.id) {
    case RouteId::kOrders:
      return WithPrincipal(service, operation,
                           [&service](http::Exchange& ex, const std::string& principal) {
                             PostOrder(service, ex, principal);
                           });
    case RouteId::kOrder:
      return WithPrincipal(service, operation, [&service](http::Exchange& ex, const std::string&) {
        GetOrder(service, ex);
      });
    case RouteId::kHealthz:
      return [](http::Exchange& ex) { ex.SendJson(200, {{"status", "ok"}}); };
    case RouteId::kReadyz:
      return [&service](http::Exchange& ex) { Readyz(service, ex); };
    case RouteId::kMetrics:
      return [&service](http::Exchange& ex) { Metrics(service, ex); };
    case RouteId::kOpenApi:
      return [](http::Exchange& ex) { ex.Send(200, "application/yaml", OpenApiDocument()); };
  }
  throw std::logic_error("gateway: a route without a handler");
}

std::string MethodLabel(const std::string& method) {
  static const std::vector<std::string> known{"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"};
  for (const auto& m : known) {
    if (m == method) return m;
  }
  return "other";
}

void RecordRequest(metrics::Registry& registry, const http::Exchange& ex, std::chrono::steady_clock::duration took) {
  const std::string route = ex.Route().empty() ? std::string("unmatched") : ex.Route();
  registry
      .GetCounter("choreo_gateway_http_requests_total", "HTTP requests answered, by route, method and status.",
                  {{"route", route}, {"method", MethodLabel(ex.Method())}, {"status", std::to_string(ex.Status())}})
      .Inc();
  registry
      .GetHistogram("choreo_gateway_http_request_duration_seconds",
                    "Time from the start of handling to the response, by route.", metrics::DefaultLatencyBuckets(),
                    {{"route", route}})
      .Observe(std::chrono::duration<double>(took).count());
}

}  // namespace

std::unique_ptr<http::Server> MakeHttpServer(Service& service) {
  const GatewayOptions& options = service.options;
  http::ServerOptions server;
  server.name = "gateway";
  server.host = options.listen_address;
  server.port = static_cast<std::uint16_t>(options.port);
  server.max_threads = options.max_threads;
  server.max_queued = options.max_queued;
  server.io_timeout = options.io_timeout;
  server.keep_alive_timeout = options.keep_alive_timeout;
  server.max_keep_alive_requests = options.max_keep_alive_requests;
  server.max_body_bytes = options.max_body_bytes;
  server.body_timeout = options.request_timeout;
  server.problem_type_prefix = std::string(kProblemTypePrefix);
  return std::make_unique<http::Server>(
      std::move(server),
      MakeRouter([&service](const RouteSpec& route, const Operation& operation) {
        return HandlerFor(service, route, operation);
      }),
      [&registry = service.registry](const http::Exchange& ex, std::chrono::steady_clock::duration took) {
        RecordRequest(registry, ex, took);
      });
}

}  // namespace choreo::gateway
