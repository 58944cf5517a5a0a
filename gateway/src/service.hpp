#pragma once
// Inside the gateway (not installed): what its HTTP handlers share, and the handlers by
// concern — orders (order_handlers.cpp), probes and metrics (probe_handlers.cpp), and the
// HTTP server around them (http_api.cpp: routes, authentication, request metrics).
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "choreo/gateway/admission.hpp"
#include "choreo/gateway/gateway.hpp"
#include "choreo/gateway/intake.hpp"
#include "choreo/http/exchange.hpp"
#include "choreo/http/server.hpp"
#include "choreo/metrics/metrics.hpp"
#include "choreo/worker/host.hpp"
#include "choreo/worker/pipeline.hpp"

namespace choreo::gateway {

// Everything the request handlers share; lives as long as the Gateway.
struct Service {
  GatewayOptions options;
  // Store, migrations, outbox relay (worker runtime); the pipeline feeds the read model.
  std::unique_ptr<worker::ComponentHost> host;
  std::unique_ptr<worker::Pipeline> read_model;
  std::unique_ptr<OrderIntake> intake;
  std::unique_ptr<AdmissionControl> admission;
  std::atomic<bool> worker_failed{false};
  // SHA-256 of each configured API key; a caller is identified by its key's hash prefix.
  std::vector<std::string> key_hashes;
  metrics::Registry& registry = metrics::Registry::Default();

  store::Store& Store() { return host->Store(); }
};

// The HTTP server for `service`: its options, routes and request metrics.
std::unique_ptr<http::Server> MakeHttpServer(Service& service);

// POST /orders on behalf of `principal` (whose idempotency keys it scopes).
void PostOrder(Service& service, http::Exchange& ex, const std::string& principal);
// GET /orders/{id}.
void GetOrder(Service& service, http::Exchange& ex);
// GET /readyz: store, worker and broker.
void Readyz(Service& service, http::Exchange& ex);
// GET /metrics, with the outbox backlog and broker state refreshed first.
void Metrics(Service& service, http::Exchange& ex);

}  // namespace choreo::gateway
