#pragma once
// Routing by method and path template, shared by every choreo HTTP server. Pure: Resolve
// does no I/O, so the routing rules are unit-tested; the server turns its answer into a
// handler call or a 404 / 405 problem.
//
//   Router router;
//   router.Add("GET", "/orders/{id}", [](Exchange& ex) { ... ex.Param("id") ... });
//
// A template is '/'-separated segments; a literal segment matches itself exactly (case
// matters), a {name} segment matches one non-empty segment. "/orders/" and "/orders/a/b"
// therefore match neither "/orders" nor "/orders/{id}". Where a literal and a parameter
// route both match, the one with fewer parameters wins.
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "choreo/http/problem.hpp"

namespace choreo::http {

class Exchange;

// Answers the request through the Exchange. An exception it throws is answered 500 by
// the server and logged; so is returning without an answer.
using Handler = std::function<void(Exchange&)>;

// Path parameters by name: {"id": "5f0c..."} for /orders/{id}.
using PathParams = std::map<std::string, std::string, std::less<>>;

// Whether `path` matches `path_template`; on a match, fills `params` (when given).
bool MatchPath(std::string_view path_template, std::string_view path, PathParams* params = nullptr);

struct RouterOptions {
  // HEAD is answered by the GET handler (Poco sends the headers only) and listed in Allow
  // after GET. Off, HEAD is a method like any other: 405 unless registered.
  bool head_for_get = false;
  // Appended to the detail of every 404, e.g. where the API is described.
  std::string not_found_hint;
};

enum class Resolution { kFound, kNotFound, kMethodNotAllowed };

struct RouteMatch {
  Resolution resolution = Resolution::kNotFound;
  const Handler* handler = nullptr;  // kFound only; owned by the Router
  std::string path_template;         // the matched route (kFound, kMethodNotAllowed)
  PathParams params;
  std::string allow;                 // the route's methods, "GET, HEAD" (kFound, kMethodNotAllowed)
};

class Router {
 public:
  explicit Router(RouterOptions options = {});

  // Throws std::invalid_argument for an empty method, a template that does not start
  // with '/', an empty or repeated parameter name, or a method added twice to one route.
  Router& Add(std::string_view method, std::string_view path_template, Handler handler);

  // `path` is the decoded request path without query string.
  RouteMatch Resolve(std::string_view method, std::string_view path) const;

  // The answers for kNotFound and kMethodNotAllowed (about:blank: they say nothing beyond
  // their status). Method and path are cut short: they come from the client.
  Problem NotFound(std::string_view method, std::string_view path) const;
  Problem MethodNotAllowed(std::string_view method, const RouteMatch& match) const;

 private:
  struct Route {
    std::string path_template;
    std::size_t parameters = 0;
    std::vector<std::pair<std::string, Handler>> methods;  // in the order added
  };
  std::string Allow(const Route& route) const;

  RouterOptions options_;
  std::vector<Route> routes_;
};

// `text` cut to `max` bytes with "..." appended: client-supplied text in a detail or a log
// line stays bounded.
std::string Truncate(std::string_view text, std::size_t max = 200);

}  // namespace choreo::http
