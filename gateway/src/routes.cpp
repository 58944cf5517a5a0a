#include "choreo/gateway/routes.hpp"

#include <algorithm>
#include <stdexcept>

namespace choreo::gateway {
namespace {

const std::vector<RouteSpec>& Table() {
  static const std::vector<RouteSpec> table{
      {RouteId::kOrders, "/orders", {{"POST", {202, 400, 401, 408, 409, 411, 413, 415, 422, 503}, true}}},
      {RouteId::kOrder, "/orders/{id}", {{"GET", {200, 401, 404, 503}, true}}},
      {RouteId::kHealthz, "/healthz", {{"GET", {200}, false}}},
      {RouteId::kReadyz, "/readyz", {{"GET", {200, 503}, false}}},
      {RouteId::kMetrics, "/metrics", {{"GET", {200}, false}}},
      {RouteId::kOpenApi, "/openapi.yaml", {{"GET", {200}, false}}},
  };
  return table;
}

const RouteSpec& Find(RouteId id) {
  for (const auto& route : Table()) {
    if (route.id == id) return route;
  }
  throw std::logic_error("route missing from the table");
}

}  // namespace

std::span<const RouteSpec> Routes() { return Table(); }

bool IsPlausibleOrderId(std::string_view id) {
  return !id.empty() && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == ':';
  });
}

std::optional<RouteMatch> MatchRoute(std::string_view path) {
  constexpr std::string_view kOrderPrefix = "/orders/";
  if (path.starts_with(kOrderPrefix) && path.size() > kOrderPrefix.size()) {
    std::string_view id = path.substr(kOrderPrefix.size());
    if (id.find('/') != std::string_view::npos) return std::nullopt;
    return RouteMatch{&Find(RouteId::kOrder), std::string(id)};
  }
  for (const auto& route : Table()) {
    if (route.id != RouteId::kOrder && route.path_template == path) return RouteMatch{&route, {}};
  }
  return std::nullopt;
}

const Operation* FindOperation(const RouteSpec& route, std::string_view method) {
  for (const auto& operation : route.operations) {
    if (operation.method == method) return &operation;
  }
  return nullptr;
}

std::string AllowHeader(const RouteSpec& route) {
  std::string out;
  for (const auto& operation : route.operations) {
    if (!out.empty()) out += ", ";
    out += operation.method;
  }
  return out;
}

}  // namespace choreo::gateway
