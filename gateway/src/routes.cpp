#include "choreo/gateway/routes.hpp"

#include <algorithm>
#include <string>

namespace choreo::gateway {
namespace {

const std::vector<RouteSpec>& Table() {
  static const std::vector<RouteSpec> table{
      {RouteId::kOrders, "/orders", {{"POST", {202, 400, 401, 408, 409, 411, 413, 415, 422, 429, 503}, true}}},
      {RouteId::kOrder, "/orders/{id}", {{"GET", {200, 401, 404, 503}, true}}},
      {RouteId::kHealthz, "/healthz", {{"GET", {200}, false}}},
      {RouteId::kReadyz, "/readyz", {{"GET", {200, 503}, false}}},
      {RouteId::kMetrics, "/metrics", {{"GET", {200}, false}}},
      {RouteId::kOpenApi, "/openapi.yaml", {{"GET", {200}, false}}},
  };
  return table;
}

}  // namespace

std::span<const RouteSpec> Routes() { return Table(); }

http::Router MakeRouter(const std::function<http::Handler(const RouteSpec&, const Operation&)>& handler_for) {
  http::Router router(http::RouterOptions{.not_found_hint = "The API is described at /openapi.yaml."});
  for (const auto& route : Table()) {
    for (const auto& operation : route.operations) {
      router.Add(operation.method, route.path_template, handler_for(route, operation));
    }
  }
  return router;
}

bool IsPlausibleOrderId(std::string_view id) {
  return !id.empty() && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == ':';
  });
}

}  // namespace choreo::gateway
