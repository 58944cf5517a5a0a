#pragma once
// Every route of the console in one table: pages, the JSON API and the order timeline.
#include <span>
#include <string_view>

#include "choreo/http/router.hpp"
#include "console/handlers.hpp"

namespace choreo::admin::console {

enum class RouteKind {
  kPage,  // errors answered as an HTML page
  kApi,   // errors answered as application/problem+json
};

struct Route {
  std::string_view method;
  std::string_view path_template;
  RouteKind kind;
  RouteHandler handler;
};

std::span<const Route> Routes();

// The router of Routes(), each handler guarded (see routes.cpp); `context` must outlive it.
http::Router MakeRouter(const Context& context);

}  // namespace choreo::admin::console
