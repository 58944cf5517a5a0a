#include "choreo/testing/testing.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <atomic>
#include <cstdlib>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace choreo::testing {

namespace {

struct Credentials {
  std::string user;
  std::string password;
};

// The management API uses the same user as AMQP; take it from the (first) AMQP URL so no
// credential is written in code.
Credentials BrokerCredentials(const BrokerEndpoints& broker) {
  Poco::URI uri(broker.amqp_urls.substr(0, broker.amqp_urls.find(',')));
  const std::string& info = uri.getUserInfo();
  auto colon = info.find(':');
  if (colon == std::string::npos) return {info, ""};
  std::string user, password;
  Poco::URI::decode(info.substr(0, colon), user);
  Poco::URI::decode(info.substr(colon + 1), password);
  return {user, password};
}

void RunCtl(const char* verb) {
  std::string cmd = RequireEnv("CHOREO_TEST_BROKER_CTL") + " " + verb;
  int rc = std::system(cmd.c_str());
  if (rc != 0) throw std::runtime_error("'" + cmd + "' failed with status " + std::to_string(rc));
}

}  // namespace

std::string RequireEnv(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') {
    throw std::runtime_error(std::string("environment variable ") + name +
                             " is not set: run integration tests through infra/test");
  }
  return v;
}

std::string UniqueName(std::string_view prefix) {
  static std::atomic<unsigned> counter{0};
  static const unsigned salt = std::random_device{}();
  std::ostringstream out;
  out << prefix << '-' << ::getpid() << '-' << counter++ << '-' << std::hex << (salt & 0xffffu);
  return out.str();
}

bool WaitFor(const std::function<bool()>& predicate, std::chrono::milliseconds timeout,
             std::chrono::milliseconds poll) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (predicate()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return predicate();
    std::this_thread::sleep_for(poll);
  }
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("no free port on 127.0.0.1");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string UrlEncode(std::string_view segment) {
  std::string out;
  Poco::URI::encode(std::string(segment), "/?#%&+=:@ ", out);
  return out;
}

BrokerEndpoints TestNode() { return {RequireEnv("CHOREO_TEST_AMQP_URL"), RequireEnv("CHOREO_TEST_MGMT_URL")}; }

std::optional<BrokerEndpoints> TestCluster() {
  const std::vector<BrokerEndpoints> nodes = TestClusterNodes();
  if (nodes.empty()) return std::nullopt;
  return BrokerEndpoints{RequireEnv("CHOREO_TEST_CLUSTER_AMQP_URLS"), nodes.front().mgmt_url};
}

std::vector<BrokerEndpoints> TestClusterNodes() {
  const char* urls = std::getenv("CHOREO_TEST_CLUSTER_AMQP_URLS");
  if (urls == nullptr || *urls == '\0') return {};
  auto split = [](const std::string& list) {
    std::vector<std::string> items;
    std::istringstream in(list);
    for (std::string item; std::getline(in, item, ',');) items.push_back(item);
    return items;
  };
  const std::vector<std::string> amqp = split(urls);
  const std::vector<std::string> mgmt = split(RequireEnv("CHOREO_TEST_CLUSTER_MGMT_URLS"));
  if (amqp.size() != mgmt.size()) {
    throw std::runtime_error("CHOREO_TEST_CLUSTER_AMQP_URLS and CHOREO_TEST_CLUSTER_MGMT_URLS list different numbers of nodes");
  }
  std::vector<BrokerEndpoints> nodes;
  for (std::size_t i = 0; i < amqp.size(); ++i) nodes.push_back({amqp[i], mgmt[i]});
  return nodes;
}

void ClusterCtl(const std::string& args) {
  std::string cmd = RequireEnv("CHOREO_TEST_CLUSTER_CTL") + " " + args;
  int rc = std::system(cmd.c_str());
  if (rc != 0) throw std::runtime_error("'" + cmd + "' failed with status " + std::to_string(rc));
}

int ManagementRequest(const std::string& method, const std::string& path,
                      const std::string& request_body, std::string* body) {
  return ManagementRequest(TestNode(), method, path, request_body, body);
}

int ManagementRequest(const BrokerEndpoints& broker, const std::string& method, const std::string& path,
                      const std::string& request_body, std::string* body) {
  Poco::URI base(broker.mgmt_url);
  Poco::Net::HTTPClientSession session(base.getHost(), base.getPort());
  session.setTimeout(Poco::Timespan(10, 0));
  Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  Credentials creds = BrokerCredentials(broker);
  Poco::Net::HTTPBasicCredentials(creds.user, creds.password).authenticate(request);
  request.setContentType("application/json");
  request.setContentLength(static_cast<std::streamsize>(request_body.size()));
  session.sendRequest(request) << request_body;
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  std::string text;
  Poco::StreamCopier::copyToString(in, text);
  if (body != nullptr) *body = std::move(text);
  return static_cast<int>(response.getStatus());
}

TestVhost::TestVhost(std::string_view prefix) : TestVhost(prefix, TestNode()) {}

TestVhost::TestVhost(std::string_view prefix, BrokerEndpoints broker)
    : name_(UniqueName(prefix)), broker_(std::move(broker)) {
  const std::string vh = UrlEncode(name_);
  std::string body;
  int status = ManagementRequest(broker_, "PUT", "/api/vhosts/" + vh, "{}", &body);
  if (status / 100 != 2) throw std::runtime_error("creating vhost " + name_ + ": HTTP " + std::to_string(status) + " " + body);
  Credentials creds = BrokerCredentials(broker_);
  status = ManagementRequest(broker_, "PUT", "/api/permissions/" + vh + "/" + UrlEncode(creds.user),
                             R"({"configure":".*","write":".*","read":".*"})", &body);
  if (status / 100 != 2) throw std::runtime_error("granting vhost " + name_ + ": HTTP " + std::to_string(status) + " " + body);
}

TestVhost::~TestVhost() {
  try {
    ManagementRequest(broker_, "DELETE", "/api/vhosts/" + UrlEncode(name_), "");
  } catch (...) {
    // Best effort: a leftover vhost on a throwaway test node harms nothing, and a
    // destructor must not throw.
  }
}

std::string TestVhost::AmqpUrl() const {
  std::string out;
  std::istringstream urls(broker_.amqp_urls);
  for (std::string base; std::getline(urls, base, ',');) {
    while (!base.empty() && base.back() == '/') base.pop_back();
    if (base.empty()) continue;
    out += (out.empty() ? "" : ",") + base + "/" + UrlEncode(name_);
  }
  return out;
}

void StopBroker() { RunCtl("stop"); }
void StartBroker() { RunCtl("start"); }

}  // namespace choreo::testing
