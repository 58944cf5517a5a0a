#include "choreo/http/exchange.hpp"

#include <chrono>
#include <istream>
#include <stdexcept>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/MediaType.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/String.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>

namespace choreo::http {

namespace {

// After refusing a body we did not read, keep reading (and discarding) for this long
// before closing: closing a socket with unread data makes the kernel send a reset,
// which can destroy the answer before the client has read it.
constexpr auto kLingerTime = std::chrono::milliseconds(1000);
constexpr std::size_t kLingerBytes = 1 << 20;

bool HasBody(const Poco::Net::HTTPServerRequest& request) {
  if (request.getChunkedTransferEncoding()) return true;
  if (request.hasContentLength()) return request.getContentLength64() > 0;
  // Without a length Poco reads a POST body until the connection closes.
  const std::string& method = request.getMethod();
  return method != "GET" && method != "HEAD" && method != "DELETE";
}

}  // namespace

bool IsMediaType(std::string_view content_type, std::string_view media_type) {
  try {
    const Poco::Net::MediaType actual{std::string(content_type)};
    const Poco::Net::MediaType expected{std::string(media_type)};
    return actual.matches(expected.getType(), expected.getSubType()) &&
           (!actual.hasParameter("charset") || Poco::icompare(actual.getParameter("charset"), "utf-8") == 0);
  } catch (const Poco::Exception&) {
    return false;
  }
}

Exchange::Exchange(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                   const ServerOptions& options)
    : request_(request), response_(response), options_(options), body_pending_(HasBody(request)) {
  try {
    const Poco::URI uri(request.getURI());
    path_ = uri.getPath();
    query_ = uri.getRawQuery();
  } catch (const Poco::Exception&) {
    uri_valid_ = false;
  }
}

const std::string& Exchange::Param(std::string_view name) const {
  auto it = params_.find(name);
  if (it == params_.end()) throw std::out_of_range("no path parameter '" + std::string(name) + "' in " + route_);
  return it->second;
}

std::optional<std::string> Exchange::Query(std::string_view name) const {
  if (query_.empty()) return std::nullopt;
  Poco::URI uri;
  uri.setRawQuery(query_);
  for (const auto& [key, value] : uri.getQueryParameters()) {
    if (key == name) return value;
  }
  return std::nullopt;
}

void Exchange::SetRoute(std::string path_template, PathParams params) {
  route_ = std::move(path_template);
  params_ = std::move(params);
}

std::optional<std::string> Exchange::ReadBody() {
  const std::size_t limit = options_.max_body_bytes;
  auto too_large = [&] {
    SendProblem(413, "body-too-large", "Content Too Large",
                "The request body exceeds the limit of " + std::to_string(limit) + " bytes.",
                {{"max_bytes", limit}});
    return std::nullopt;
  };
  if (request_.hasContentLength() && request_.getContentLength64() > static_cast<Poco::Int64>(limit)) {
    return too_large();
  }
  if (!request_.hasContentLength() && !request_.getChunkedTransferEncoding()) {
    SendProblem(411, "length-required", "Length Required", "Send a Content-Length header (or a chunked body).");
    return std::nullopt;
  }
  // One socket read at a time, so both the size limit and the deadline are checked
  // however slowly the client sends.
  std::istream& in = request_.stream();
  const auto deadline = std::chrono::steady_clock::now() + options_.body_timeout;
  std::string body;
  char buffer[8192];
  while (true) {
    // peek() waits for one read from the socket (or EOF); readsome() then takes only what
    // that read buffered, never blocking again.
    if (in.peek() == std::char_traits<char>::eof()) {
      if (in.bad()) break;  // read timeout or connection reset
      body_pending_ = false;
      return body;
    }
    std::streamsize n;
    while ((n = in.readsome(buffer, sizeof buffer)) > 0) {
      body.append(buffer, static_cast<std::size_t>(n));
      if (body.size() > limit) return too_large();
    }
    if (std::chrono::steady_clock::now() > deadline) break;
  }
  SendProblem(408, "request-timeout", "Request Timeout", "The request body did not arrive in time.");
  return std::nullopt;
}

bool Exchange::RequireContentType(std::string_view media_type, bool missing_ok) {
  if (!request_.has("Content-Type") && missing_ok) return true;
  const std::string content_type = request_.get("Content-Type", "");
  if (!content_type.empty() && IsMediaType(content_type, media_type)) return true;
  SendProblem(415, "unsupported-media-type", "Unsupported Media Type",
              "Send the body as 'Content-Type: " + std::string(media_type) + "' (UTF-8)" +
                  (content_type.empty() ? std::string(".") : ", not '" + Truncate(content_type, 60) + "'."));
  return false;
}

void Exchange::Send(int status, std::string_view content_type, std::string_view body) {
  // An unread body would be parsed as the next request on a kept-alive connection.
  if (body_pending_) response_.setKeepAlive(false);
  response_.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  response_.setContentType(std::string(content_type));
  response_.set("Cache-Control", "no-store");
  response_.setContentLength64(static_cast<Poco::Int64>(body.size()));
  std::ostream& out = response_.send();
  out.write(body.data(), static_cast<std::streamsize>(body.size()));
  // Poco buffers the answer until the handler returns; Linger shuts the socket's sending
  // side, so everything must be on the wire first.
  out.flush();
  if (body_pending_) Linger();
}

void Exchange::SendJson(int status, const nlohmann::json& body) { Send(status, kJsonContentType, Dump(body)); }

void Exchange::SendProblem(Problem problem) {
  if (problem.instance.empty()) problem.instance = path_;
  Send(problem.status, kProblemContentType, Dump(problem));
}

void Exchange::SendProblem(int status, std::string_view slug, std::string title, std::string detail,
                           nlohmann::json extensions) {
  SendProblem(Problem{status, ProblemType(options_.problem_type_prefix, slug), std::move(title), std::move(detail), "",
                      std::move(extensions)});
}

void Exchange::Linger() {
  auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&request_);
  if (impl == nullptr) return;
  try {
    Poco::Net::StreamSocket& socket = impl->socket();
    socket.shutdownSend();
    socket.setReceiveTimeout(Poco::Timespan(0, 100'000));
    const auto deadline = std::chrono::steady_clock::now() + kLingerTime;
    char buffer[8192];
    std::size_t total = 0;
    while (total < kLingerBytes && std::chrono::steady_clock::now() < deadline) {
      const int n = socket.receiveBytes(buffer, sizeof buffer);
      if (n <= 0) break;
      total += static_cast<std::size_t>(n);
    }
  } catch (...) {
    // The client went away or went quiet: either way we are done with it.
  }
}

}  // namespace choreo::http
