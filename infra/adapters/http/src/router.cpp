#include "choreo/http/router.hpp"

#include <stdexcept>

namespace choreo::http {

namespace {

// The next '/'-separated segment of `rest` (which starts after a '/'); advances `rest`.
std::string_view NextSegment(std::string_view& rest) {
  const std::size_t end = rest.find('/');
  std::string_view segment = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  return segment;
}

bool IsParameter(std::string_view segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

bool MatchPath(std::string_view path_template, std::string_view path, PathParams* params) {
  if (path_template.empty() || path.empty() || path_template.front() != '/' || path.front() != '/') return false;
  std::string_view pattern = path_template.substr(1);
  std::string_view rest = path.substr(1);
  PathParams found;
  bool more = true;
  while (more) {
    more = pattern.find('/') != std::string_view::npos;
    const bool path_more = rest.find('/') != std::string_view::npos;
    if (more != path_more) return false;  // different number of segments
    const std::string_view expected = NextSegment(pattern);
    const std::string_view actual = NextSegment(rest);
    if (IsParameter(expected)) {
      if (actual.empty()) return false;
      found.emplace(std::string(expected.substr(1, expected.size() - 2)), std::string(actual));
    } else if (expected != actual) {
      return false;
    }
  }
  if (params != nullptr) *params = std::move(found);
  return true;
}

Router::Router(RouterOptions options) : options_(std::move(options)) {}

Router& Router::Add(std::string_view method, std::string_view path_template, Handler handler) {
  if (method.empty()) throw std::invalid_argument("choreo::http: route method must not be empty");
  if (path_template.empty() || path_template.front() != '/') {
    throw std::invalid_argument("choreo::http: route template must start with '/': " + std::string(path_template));
  }
  if (!handler) throw std::invalid_argument("choreo::http: route handler must not be empty");
  std::size_t parameters = 0;
  PathParams names;
  std::string_view rest = path_template.substr(1);
  while (true) {
    const bool more = rest.find('/') != std::string_view::npos;
    const std::string_view segment = NextSegment(rest);
    if (!segment.empty() && (segment.front() == '{' || segment.back() == '}')) {
      if (!IsParameter(segment) || segment.size() == 2 ||
          !names.emplace(std::string(segment.substr(1, segment.size() - 2)), "").second) {
        throw std::invalid_argument("choreo::http: bad parameter in route template " + std::string(path_template));
      }
      ++parameters;
    }
    if (!more) break;
  }
  Route* route = nullptr;
  for (auto& existing : routes_) {
    if (existing.path_template == path_template) route = &existing;
  }
  if (route == nullptr) route = &routes_.emplace_back(Route{std::string(path_template), parameters, {}});
  for (const auto& [existing, unused] : route->methods) {
    if (existing == method) {
      throw std::invalid_argument("choreo::http: " + std::string(method) + " " + std::string(path_template) +
                                  " added twice");
    }
  }
  route->methods.emplace_back(std::string(method), std::move(handler));
  return *this;
}

RouteMatch Router::Resolve(std::string_view method, std::string_view path) const {
  const Route* best = nullptr;
  PathParams params;
  for (const auto& route : routes_) {
    if (best != nullptr && route.parameters >= best->parameters) continue;
    PathParams candidate;
    if (MatchPath(route.path_template, path, &candidate)) {
      best = &route;
      params = std::move(candidate);
    }
  }
  RouteMatch match;
  if (best == nullptr) return match;
  match.path_template = best->path_template;
  match.allow = Allow(*best);
  const Handler* get = nullptr;
  for (const auto& [name, handler] : best->methods) {
    if (name == method) match.handler = &handler;
    if (name == "GET") get = &handler;
  }
  if (match.handler == nullptr && options_.head_for_get && method == "HEAD") match.handler = get;
  if (match.handler == nullptr) {
    match.resolution = Resolution::kMethodNotAllowed;
    return match;
  }
  match.resolution = Resolution::kFound;
  match.params = std::move(params);
  return match;
}

std::string Router::Allow(const Route& route) const {
  bool head = false;
  for (const auto& [name, unused] : route.methods) head = head || name == "HEAD";
  std::string out;
  for (const auto& [name, unused] : route.methods) {
    if (!out.empty()) out += ", ";
    out += name;
    if (name == "GET" && options_.head_for_get && !head) out += ", HEAD";
  }
  return out;
}

Problem Router::NotFound(std::string_view method, std::string_view path) const {
  std::string detail = "no route for " + Truncate(method, 20) + " " + Truncate(path);
  if (!options_.not_found_hint.empty()) detail += "; " + options_.not_found_hint;
  return Problem{404, "", "Not Found", std::move(detail)};
}

Problem Router::MethodNotAllowed(std::string_view method, const RouteMatch& match) const {
  return Problem{405, "", "Method Not Allowed",
                 Truncate(method, 20) + " is not supported on " + match.path_template + "; use " + match.allow};
}

std::string Truncate(std::string_view text, std::size_t max) {
  if (text.size() <= max) return std::string(text);
  return std::string(text.substr(0, max)) + "...";
}

}  // namespace choreo::http
