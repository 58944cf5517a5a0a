#pragma once
// RFC 9457 problem details as the gateway answers them. Unlike choreo::http::WriteProblem
// (title and detail only) these carry a problem type per error class and extension
// members, e.g. the field errors of a rejected order:
//   {"type": "urn:choreo:problem:validation-error", "title": "Invalid order", "status": 400,
//    "detail": "...", "errors": [{"pointer": "/lines/0/quantity", "message": "..."}]}
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace choreo::gateway {

inline constexpr std::string_view kProblemTypePrefix = "urn:choreo:problem:";

struct Problem {
  int status = 500;
  std::string type;  // slug appended to kProblemTypePrefix; empty: "about:blank"
  std::string title;
  std::string detail;
  nlohmann::json extensions = nlohmann::json::object();
};

nlohmann::json ToJson(const Problem& problem);

}  // namespace choreo::gateway
