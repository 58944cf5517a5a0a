#include "choreo/gateway/problem.hpp"

namespace choreo::gateway {

nlohmann::json ToJson(const Problem& problem) {
  nlohmann::json body = problem.extensions.is_object() ? problem.extensions : nlohmann::json::object();
  body["type"] = problem.type.empty() ? std::string("about:blank") : std::string(kProblemTypePrefix) + problem.type;
  body["title"] = problem.title;
  body["status"] = problem.status;
  body["detail"] = problem.detail;
  return body;
}

}  // namespace choreo::gateway
