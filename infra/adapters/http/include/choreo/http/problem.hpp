#pragma once
// RFC 9457 problem details, the body of every error answer of a choreo HTTP server:
//   {"type":"urn:choreo:problem:body-too-large","title":"Content Too Large","status":413,
//    "detail":"...","instance":"/orders","max_bytes":65536}
// with Content-Type application/problem+json. Pure: building the document does no I/O;
// sending it is Exchange::SendProblem.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace choreo::http {

inline constexpr std::string_view kProblemContentType = "application/problem+json";
inline constexpr std::string_view kJsonContentType = "application/json";
// RFC 9457: the type of a problem that says nothing beyond its status code.
inline constexpr std::string_view kAboutBlank = "about:blank";

struct Problem {
  int status = 500;
  // An absolute URI naming the problem type; empty means "about:blank".
  std::string type;
  std::string title;
  std::string detail;
  // The request the problem occurred on (a URI reference); omitted when empty.
  std::string instance;
  // Extension members, e.g. "errors" of a rejected order. They cannot replace a
  // standard member: a client must be able to rely on those.
  nlohmann::json extensions = nlohmann::json::object();
};

// `prefix` + `slug` ("urn:choreo:provider:" + "charge-not-found"), or "about:blank" when
// either is empty: a server without a prefix of its own answers only plain problems.
std::string ProblemType(std::string_view prefix, std::string_view slug);

nlohmann::json ToJson(const Problem& problem);

// ToJson(problem) as text; invalid UTF-8 in any member is replaced rather than thrown on.
std::string Dump(const Problem& problem);

// JSON text as every choreo server writes it: compact, invalid UTF-8 replaced.
std::string Dump(const nlohmann::json& body);

}  // namespace choreo::http
