#include "choreo/testing/http_client.hpp"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>

namespace choreo::testing {

HttpResult Request(std::uint16_t port, const std::string& method, const std::string& path, const std::string& body,
                   const std::string& content_type, const std::map<std::string, std::string>& headers) {
  Poco::Net::HTTPClientSession session("127.0.0.1", port);
  session.setTimeout(Poco::Timespan(30, 0));
  Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  if (!content_type.empty()) request.setContentType(content_type);
  for (const auto& [name, value] : headers) request.set(name, value);
  if (!body.empty() || method == "POST" || method == "PUT") {
    request.setContentLength(static_cast<std::streamsize>(body.size()));
  }
  session.sendRequest(request) << body;
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  HttpResult result;
  result.status = static_cast<int>(response.getStatus());
  Poco::StreamCopier::copyToString(in, result.body);
  for (const auto& [name, value] : response) result.headers[Poco::toLower(name)] = value;
  return result;
}

std::string RawExchange(std::uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout,
                        bool* closed_by_server) {
  if (closed_by_server != nullptr) *closed_by_server = false;
  Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", port));
  socket.sendBytes(bytes.data(), static_cast<int>(bytes.size()));
  socket.setReceiveTimeout(Poco::Timespan(std::chrono::duration_cast<std::chrono::microseconds>(timeout).count()));
  std::string received;
  char buffer[4096];
  try {
    while (true) {
      int n = socket.receiveBytes(buffer, sizeof buffer);
      if (n <= 0) {
        if (closed_by_server != nullptr) *closed_by_server = true;
        break;
      }
      received.append(buffer, static_cast<std::size_t>(n));
    }
  } catch (const Poco::TimeoutException&) {
    // The server kept the connection open: return what arrived.
  } catch (const Poco::Exception&) {
    if (closed_by_server != nullptr) *closed_by_server = true;  // reset
  }
  return received;
}

}  // namespace choreo::testing
