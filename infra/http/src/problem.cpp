#include "choreo/http/problem.hpp"

#include <nlohmann/json.hpp>

namespace choreo::http {

void WriteProblem(Poco::Net::HTTPServerResponse& response, int status, std::string_view title,
                  std::string_view detail) {
  const nlohmann::json problem = {{"type", "about:blank"},
                                  {"title", std::string(title)},
                                  {"status", status},
                                  {"detail", std::string(detail)}};
  const std::string body = problem.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  response.setContentType(std::string(kProblemContentType));
  response.sendBuffer(body.data(), body.size());
}

}  // namespace choreo::http
