#pragma once
// A small HTTP client for tests of choreo's HTTP servers (loopback only): one request on
// a fresh connection, or raw bytes where the wire format itself is under test.
#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace choreo::testing {

struct HttpResult {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names in lower case

  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
  bool Has(const std::string& lower_name) const { return headers.count(lower_name) != 0; }
  nlohmann::json Json() const { return nlohmann::json::parse(body); }
};

// One request on a fresh connection to 127.0.0.1:port. A non-empty `content_type` is
// sent as Content-Type; `headers` are added as given. A POST or PUT always carries a
// Content-Length. Throws Poco::Exception when nothing answers.
HttpResult Request(std::uint16_t port, const std::string& method, const std::string& path,
                   const std::string& body = "", const std::string& content_type = "",
                   const std::map<std::string, std::string>& headers = {});

// Writes `bytes` to a raw connection, then reads until the server closes or `timeout`
// passes, and returns what arrived (status line, headers, body). `closed_by_server` tells
// which of the two ended it.
std::string RawExchange(std::uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout,
                        bool* closed_by_server = nullptr);

}  // namespace choreo::testing
