#include "client.hpp"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/StreamCopier.h>

namespace choreo::load {

Client::Client(const Target& target, std::chrono::milliseconds request_timeout) : session_(target.host, target.port) {
  session_.setKeepAlive(true);
  session_.setTimeout(Poco::Timespan(std::chrono::duration_cast<std::chrono::microseconds>(request_timeout).count()));
}

HttpReply Client::Exchange(const std::string& method, const std::string& path, const std::string& body,
                           const std::string& key) {
  HttpReply reply;
  try {
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    request.setKeepAlive(true);
    if (!key.empty()) request.set("Idempotency-Key", key);
    if (method == Poco::Net::HTTPRequest::HTTP_POST) {
      request.setContentType("application/json");
      request.setContentLength(static_cast<std::streamsize>(body.size()));
      session_.sendRequest(request) << body;
    } else {
      session_.sendRequest(request);
    }
    Poco::Net::HTTPResponse response;
    std::istream& in = session_.receiveResponse(response);
    Poco::StreamCopier::copyToString(in, reply.body);
    reply.status = static_cast<int>(response.getStatus());
    reply.replayed = response.get("Idempotent-Replayed", "") == "true";
    if (!response.getKeepAlive()) session_.reset();
  } catch (const Poco::Exception& e) {
    reply.status = 0;
    reply.error = e.displayText();
    session_.reset();
  } catch (const std::exception& e) {
    reply.status = 0;
    reply.error = e.what();
    session_.reset();
  }
  return reply;
}

}  // namespace choreo::load
