#pragma once
// The gateway's routes as data: the HTTP server's router is built from them, metrics label
// by their templates (bounded cardinality), and the OpenAPI test checks openapi.yaml
// describes exactly these paths, methods and status codes.
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "choreo/http/router.hpp"

namespace choreo::gateway {

enum class RouteId { kOrders, kOrder, kHealthz, kReadyz, kMetrics, kOpenApi };

struct Operation {
  std::string_view method;
  std::vector<int> statuses;  // every status the operation can answer (405 aside)
  bool authenticated = false; // needs the API key when keys are configured
};

struct RouteSpec {
  RouteId id;
  std::string_view path_template;  // OpenAPI style: /orders/{id}
  std::vector<Operation> operations;
};

std::span<const RouteSpec> Routes();

// Problem types of the gateway's answers: "urn:choreo:problem:<slug>".
inline constexpr std::string_view kProblemTypePrefix = "urn:choreo:problem:";

// A router holding every operation of Routes(), each with the handler `handler_for`
// gives it. Unknown paths get 404 pointing at /openapi.yaml; other methods 405.
http::Router MakeRouter(const std::function<http::Handler(const RouteSpec&, const Operation&)>& handler_for);

// True for ids the gateway could have issued or learnt from events (1..128 characters
// of letters, digits, '.', '_', '-', ':'); anything else is answered 404 without a look-up.
bool IsPlausibleOrderId(std::string_view id);

}  // namespace choreo::gateway
