#include "console/routes.hpp"

#include <vector>

#include "choreo/http/exchange.hpp"
#include "console/views.hpp"

namespace choreo::admin::console {

namespace {

constexpr Route kRoutes[] = {
    {"GET", "/", RouteKind::kPage, QueuesPageHandler},
    {"GET", "/dlq/{queue}", RouteKind::kPage, GroupsPageHandler},
    {"GET", "/dlq/{queue}/messages", RouteKind::kPage, MessagesPageHandler},
    {"GET", "/dlq/{queue}/replay", RouteKind::kPage, ConfirmPageHandler},
    {"GET", "/outbox", RouteKind::kPage, OutboxPageHandler},
    {"GET", "/workers", RouteKind::kPage, WorkersPageHandler},
    {"GET", "/orders", RouteKind::kPage, OrderSearchHandler},
    {"GET", "/orders/{id}", RouteKind::kPage, OrderTimelinePage},
    {"GET", "/console.js", RouteKind::kPage, ScriptHandler},
    {"GET", "/api/dlq", RouteKind::kApi, ApiQueues},
    {"GET", "/api/dlq/{queue}/groups", RouteKind::kApi, ApiGroups},
    {"GET", "/api/dlq/{queue}/messages", RouteKind::kApi, ApiMessages},
    {"POST", "/api/dlq/{queue}/replay", RouteKind::kApi, ApiReplay},
    {"GET", "/api/outbox", RouteKind::kApi, ApiOutbox},
    {"GET", "/api/workers", RouteKind::kApi, ApiWorkers},
    {"GET", "/api/orders/{id}", RouteKind::kApi, OrderTimelineApi},
    {"GET", "/api/openapi.yaml", RouteKind::kApi, ApiDocument},
};

bool IsLoopback(std::string_view host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host == "[::1]";
}

// The host name of a Host header ("127.0.0.1:8070" -> "127.0.0.1", "[::1]:80" -> "[::1]").
std::string_view HostName(std::string_view host) {
  if (host.starts_with('[')) {
    const std::size_t close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  return host.substr(0, host.find(':'));
}

void Answer(http::Exchange& ex, RouteKind kind, int status, std::string_view slug, const std::string& title,
            const std::string& detail) {
  if (ex.Sent()) return;
  if (kind == RouteKind::kApi) {
    ex.SendProblem(status, slug, title, detail);
  } else {
    SendPage(ex, status, ErrorPage(title, detail));
  }
}

// Runs `route`'s handler and answers what it throws: a queue that does not exist (or is no
// DLQ) 404, a broker or store that cannot be reached 502, anything else 500. On a console
// bound to loopback, a request must name a loopback host: a page of another site that
// resolves its own name to 127.0.0.1 (DNS rebinding) gets nothing.
http::Handler Guarded(const Context& context, const Route& route) {
  return [&context, &route](http::Exchange& ex) {
    try {
      if (IsLoopback(context.options.host) && !IsLoopback(HostName(ex.Request().get("Host", "")))) {
        Answer(ex, route.kind, 403, "foreign-host", "Forbidden",
               "This console answers requests for 127.0.0.1 or localhost only.");
        return;
      }
      route.handler(context, ex);
    } catch (const UsageError& e) {
      Answer(ex, route.kind, 404, "not-found", "Not Found", e.what());
    } catch (const CommandError& e) {
      Answer(ex, route.kind, 502, "unavailable", "Bad Gateway", e.what());
    } catch (const std::exception& e) {
      Answer(ex, route.kind, 500, "internal", "Internal Server Error", e.what());
    } catch (...) {
      Answer(ex, route.kind, 500, "internal", "Internal Server Error", "unexpected error");
    }
  };
}

}  // namespace

std::span<const Route> Routes() { return kRoutes; }

http::Router MakeRouter(const Context& context) {
  http::Router router(http::RouterOptions{.head_for_get = true,
                                          .not_found_hint = "The API is described at /api/openapi.yaml."});
  for (const Route& route : kRoutes) router.Add(route.method, route.path_template, Guarded(context, route));
  return router;
}

}  // namespace choreo::admin::console
