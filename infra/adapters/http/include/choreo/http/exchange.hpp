#pragma once
// One request and its answer, as a Handler sees it: the decoded path and its parameters,
// the body under the server's limits, and the ways to answer. Every answer goes through
// Send, which knows whether the request body was read: when it was not, the connection
// is closed after the answer (the unread bytes would be parsed as the next request), and
// before closing the server drains what the client is still sending for a moment, so the
// kernel does not reset the connection and destroy the answer before it is read.
#include <optional>
#include <string>
#include <string_view>

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <nlohmann/json.hpp>

#include "choreo/http/problem.hpp"
#include "choreo/http/router.hpp"
#include "choreo/http/server.hpp"

namespace choreo::http {

// Whether `content_type` (a Content-Type value) names `media_type` ("application/json",
// compared without case) with no charset or charset utf-8. Pure.
bool IsMediaType(std::string_view content_type, std::string_view media_type);

class Exchange {
 public:
  // `options` must outlive the exchange (the server's own).
  Exchange(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
           const ServerOptions& options);

  Poco::Net::HTTPServerRequest& Request() { return request_; }
  const Poco::Net::HTTPServerRequest& Request() const { return request_; }
  Poco::Net::HTTPServerResponse& Response() { return response_; }

  const std::string& Method() const { return request_.getMethod(); }
  // The percent-decoded path without query string; empty when the URI is not valid.
  const std::string& Path() const { return path_; }
  bool UriValid() const { return uri_valid_; }
  // The matched route's template ("/orders/{id}"); empty when no route matched.
  const std::string& Route() const { return route_; }
  // A path parameter of the matched route; throws std::out_of_range for a name the
  // template does not have (a bug in the handler, answered 500).
  const std::string& Param(std::string_view name) const;
  // The first value of a query parameter, decoded.
  std::optional<std::string> Query(std::string_view name) const;
  // Set by the server before the handler runs.
  void SetRoute(std::string path_template, PathParams params);

  // The request body, or nullopt after answering 411 (no length and not chunked), 413
  // (over max_body_bytes: an announced length is refused without reading) or 408 (not
  // complete within body_timeout, or the connection failed).
  std::optional<std::string> ReadBody();
  // True when the Content-Type is `media_type` (see IsMediaType); otherwise answers 415
  // and returns false. `missing_ok`: a request without Content-Type passes.
  bool RequireContentType(std::string_view media_type, bool missing_ok = false);

  void SetHeader(const std::string& name, const std::string& value) { response_.set(name, value); }
  // Sends the whole answer; afterwards Sent() is true and nothing more can be sent.
  void Send(int status, std::string_view content_type, std::string_view body);
  void SendJson(int status, const nlohmann::json& body);
  // Answers application/problem+json; an empty instance becomes the request path.
  void SendProblem(Problem problem);
  // The same with the type ProblemType(server prefix, slug).
  void SendProblem(int status, std::string_view slug, std::string title, std::string detail,
                   nlohmann::json extensions = nlohmann::json::object());

  bool Sent() const { return response_.sent(); }
  int Status() const { return static_cast<int>(response_.getStatus()); }
  const ServerOptions& Options() const { return options_; }

 private:
  void Linger();

  Poco::Net::HTTPServerRequest& request_;
  Poco::Net::HTTPServerResponse& response_;
  const ServerOptions& options_;
  std::string path_;
  std::string query_;
  bool uri_valid_ = true;
  std::string route_;
  PathParams params_;
  // The request has a body that has not been read to its end.
  bool body_pending_ = false;
};

}  // namespace choreo::http
