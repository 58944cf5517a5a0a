#include "choreo/http/admin_server.hpp"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <stdexcept>

namespace choreo::http {
namespace {

struct Reply {
  int status = 0;
  std::string content_type;
  std::string allow;
  std::string body;
};

Reply Call(uint16_t port, const std::string& method, const std::string& path) {
  Poco::Net::HTTPClientSession session("127.0.0.1", port);
  session.setTimeout(Poco::Timespan(5, 0));
  Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  if (method == Poco::Net::HTTPRequest::HTTP_POST) request.setContentLength(0);
  session.sendRequest(request);
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  Reply reply;
  reply.status = response.getStatus();
  reply.content_type = response.getContentType();
  reply.allow = response.get("Allow", "");
  Poco::StreamCopier::copyToString(in, reply.body);
  return reply;
}

Reply Get(uint16_t port, const std::string& path) { return Call(port, "GET", path); }

class AdminServerIt : public ::testing::Test {
 protected:
  metrics::Registry registry_;
  std::atomic<bool> ready_{false};
  AdminServer server_{AdminServerOptions{}, registry_, [this]() -> std::string {
                        return ready_ ? "" : "broker unreachable";
                      }};

  void SetUp() override {
    server_.Start();
    ASSERT_NE(server_.Port(), 0);
  }
};

TEST_F(AdminServerIt, Healthz) {
  Reply reply = Get(server_.Port(), "/healthz");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type, "application/json");
  EXPECT_EQ(nlohmann::json::parse(reply.body), nlohmann::json({{"status", "ok"}}));
}

TEST_F(AdminServerIt, ReadinessFollowsTheCheck) {
  Reply reply = Get(server_.Port(), "/readyz");
  EXPECT_EQ(reply.status, 503);
  EXPECT_EQ(reply.content_type, "application/json");
  EXPECT_EQ(nlohmann::json::parse(reply.body),
            nlohmann::json({{"status", "not_ready"}, {"reason", "broker unreachable"}}));

  ready_ = true;
  reply = Get(server_.Port(), "/readyz");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(nlohmann::json::parse(reply.body), nlohmann::json({{"status", "ready"}}));

  ready_ = false;
  EXPECT_EQ(Get(server_.Port(), "/readyz?verbose=1").status, 503);
}

TEST_F(AdminServerIt, ThrowingReadinessCheckMeansNotReady) {
  AdminServer server(AdminServerOptions{}, registry_, []() -> std::string { throw std::runtime_error("db gone"); });
  server.Start();
  Reply reply = Get(server.Port(), "/readyz");
  EXPECT_EQ(reply.status, 503);
  EXPECT_EQ(nlohmann::json::parse(reply.body)["reason"], "readiness check failed: db gone");
}

TEST_F(AdminServerIt, WithoutCheckAlwaysReady) {
  AdminServer server(AdminServerOptions{}, registry_);
  server.Start();
  EXPECT_EQ(Get(server.Port(), "/readyz").status, 200);
}

TEST_F(AdminServerIt, MetricsRunsCollectorsAndUsesTheExpositionContentType) {
  registry_.GetCounter("choreo_test_hits_total", "Hits.", {{"route", "x"}}).Inc(3);
  int scrapes = 0;
  registry_.AddCollector([&] { registry_.GetGauge("choreo_test_scrapes", "Scrapes.").Set(++scrapes); });
  Reply reply = Get(server_.Port(), "/metrics");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(reply.body.find("# TYPE choreo_test_hits_total counter\n"), std::string::npos) << reply.body;
  EXPECT_NE(reply.body.find("choreo_test_hits_total{route=\"x\"} 3\n"), std::string::npos) << reply.body;
  EXPECT_NE(reply.body.find("choreo_test_scrapes 1\n"), std::string::npos) << reply.body;
}

TEST_F(AdminServerIt, UnknownPathIsProblem404) {
  Reply reply = Get(server_.Port(), "/nope");
  EXPECT_EQ(reply.status, 404);
  EXPECT_EQ(reply.content_type, "application/problem+json");
  auto problem = nlohmann::json::parse(reply.body);
  EXPECT_EQ(problem["type"], "about:blank");
  EXPECT_EQ(problem["title"], "Not Found");
  EXPECT_EQ(problem["status"], 404);
  EXPECT_EQ(problem["detail"], "no route for GET /nope");
}

TEST_F(AdminServerIt, WrongMethodIsProblem405) {
  Reply reply = Call(server_.Port(), "POST", "/metrics");
  EXPECT_EQ(reply.status, 405);
  EXPECT_EQ(reply.content_type, "application/problem+json");
  EXPECT_EQ(reply.allow, "GET, HEAD");
  auto problem = nlohmann::json::parse(reply.body);
  EXPECT_EQ(problem["title"], "Method Not Allowed");
  EXPECT_EQ(problem["status"], 405);

  Reply head = Call(server_.Port(), "HEAD", "/healthz");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
}

TEST_F(AdminServerIt, NonStandardExceptionFromReadinessIsNotReady) {
  struct Boom {};
  AdminServer server(AdminServerOptions{}, registry_, []() -> std::string { throw Boom{}; });
  server.Start();
  Reply reply = Get(server.Port(), "/readyz");
  EXPECT_EQ(reply.status, 503);
  EXPECT_EQ(nlohmann::json::parse(reply.body)["reason"], "readiness check failed");
}

TEST_F(AdminServerIt, StopReleasesThePortAndStartAgainServes) {
  const uint16_t first = server_.Port();
  server_.Stop();
  EXPECT_EQ(server_.Port(), 0);
  EXPECT_ANY_THROW(Get(first, "/healthz"));
  server_.Stop();  // idempotent
  server_.Start();
  EXPECT_EQ(Get(server_.Port(), "/healthz").status, 200);
}

TEST_F(AdminServerIt, KeepAliveConnectionDoesNotBlockStop) {
  Poco::Net::HTTPClientSession session("127.0.0.1", server_.Port());
  session.setKeepAlive(true);
  Poco::Net::HTTPRequest request("GET", "/healthz", Poco::Net::HTTPMessage::HTTP_1_1);
  session.sendRequest(request);
  Poco::Net::HTTPResponse response;
  std::string body;
  Poco::StreamCopier::copyToString(session.receiveResponse(response), body);
  EXPECT_EQ(response.getStatus(), 200);
  // The idle connection stays open; Stop must shut it down rather than wait for the timeout.
  const auto started = std::chrono::steady_clock::now();
  server_.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(4));
}

TEST_F(AdminServerIt, BindFailureNamesTheAddress) {
  AdminServerOptions options;
  options.port = server_.Port();
  AdminServer second(options, registry_);
  // SO_REUSEADDR does not allow two listeners on one port on Linux.
  try {
    second.Start();
    FAIL() << "second listener on the same port";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(options.port)), std::string::npos) << e.what();
  }
}

TEST(AdminServerOptions, Validate) {
  metrics::Registry registry;
  AdminServerOptions options;
  options.max_threads = 0;
  EXPECT_THROW(AdminServer(options, registry), std::invalid_argument);
  options = {};
  options.timeout = std::chrono::milliseconds(0);
  EXPECT_THROW(options.Validate(), std::invalid_argument);
  options = {};
  options.host.clear();
  EXPECT_THROW(options.Validate(), std::invalid_argument);
  EXPECT_NO_THROW(AdminServerOptions{}.Validate());
}

}  // namespace
}  // namespace choreo::http
