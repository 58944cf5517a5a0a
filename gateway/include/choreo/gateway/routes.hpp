#pragma once
// The gateway's routes as data: the request handler dispatches on them, metrics label by
// their templates (bounded cardinality), and the OpenAPI test checks openapi.yaml
// describes exactly these paths, methods and status codes.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

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

struct RouteMatch {
  const RouteSpec* route = nullptr;
  std::string id;  // the {id} segment of /orders/{id}
};

// nullopt for unknown paths. The path is the URI path without query string.
std::optional<RouteMatch> MatchRoute(std::string_view path);

// The route's operation for `method`, or nullptr (405).
const Operation* FindOperation(const RouteSpec& route, std::string_view method);

// "GET, POST" for the Allow header.
std::string AllowHeader(const RouteSpec& route);

// True for ids the gateway could have issued or learnt from events (1..128 characters
// of letters, digits, '.', '_', '-', ':'); anything else is answered 404 without a look-up.
bool IsPlausibleOrderId(std::string_view id);

}  // namespace choreo::gateway
