#pragma once
// choreo-load's HTTP client: one keep-alive connection to one gateway, and the answer of
// one request (or why there was none).
#include <Poco/Net/HTTPClientSession.h>

#include <chrono>
#include <string>

#include "load.hpp"

namespace choreo::load {

struct HttpReply {
  int status = 0;  // 0: no response (connection refused, reset, timeout)
  std::string body;
  bool replayed = false;
  std::string error;
};

class Client {
 public:
  Client(const Target& target, std::chrono::milliseconds request_timeout);

  // Never throws: a failure is a reply with status 0 and the error; the connection is
  // then reset, so the next request opens a new one.
  HttpReply Exchange(const std::string& method, const std::string& path, const std::string& body = {},
                     const std::string& key = {});

 private:
  Poco::Net::HTTPClientSession session_;
};

}  // namespace choreo::load
