#include "choreo/http/problem.hpp"

namespace choreo::http {

std::string ProblemType(std::string_view prefix, std::string_view slug) {
  if (prefix.empty() || slug.empty()) return std::string(kAboutBlank);
  return std::string(prefix) + std::string(slug);
}

nlohmann::json ToJson(const Problem& problem) {
  nlohmann::json body = problem.extensions.is_object() ? problem.extensions : nlohmann::json::object();
  body["type"] = problem.type.empty() ? std::string(kAboutBlank) : problem.type;
  body["title"] = problem.title;
  body["status"] = problem.status;
  body["detail"] = problem.detail;
  if (problem.instance.empty()) {
    body.erase("instance");
  } else {
    body["instance"] = problem.instance;
  }
  return body;
}

std::string Dump(const nlohmann::json& body) {
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string Dump(const Problem& problem) { return Dump(ToJson(problem)); }

}  // namespace choreo::http
