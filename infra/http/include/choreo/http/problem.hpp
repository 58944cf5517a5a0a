#pragma once
// RFC 9457 problem details: every error answer of a choreo HTTP endpoint has the body
//   {"type":"about:blank","title":"Not Found","status":404,"detail":"no route for GET /x"}
// with Content-Type application/problem+json.
#include <Poco/Net/HTTPServerResponse.h>

#include <string_view>

namespace choreo::http {

inline constexpr std::string_view kProblemContentType = "application/problem+json";

// Sets status and content type and sends the body; the response is complete afterwards.
// Invalid UTF-8 in title or detail is replaced rather than thrown on.
void WriteProblem(Poco::Net::HTTPServerResponse& response, int status, std::string_view title,
                  std::string_view detail);

}  // namespace choreo::http
