// choreo::http::Server on real loopback sockets: routing and path parameters, the answer
// policy (404/405/411/413/415/408/500 as problem+json), HEAD, the observer, and the
// lifecycle (ports, bind failures, stop with connections open).
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "choreo/http/exchange.hpp"
#include "choreo/http/server.hpp"
#include "choreo/testing/http_client.hpp"
#include "choreo/testing/testing.hpp"

namespace choreo::http {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr std::string_view kPrefix = "urn:choreo:kit-test:";

using ::choreo::testing::HttpResult;
using ::choreo::testing::RawExchange;
using ::choreo::testing::Request;

void ExpectProblem(const HttpResult& reply, int status, const std::string& slug, const std::string& instance) {
  EXPECT_EQ(reply.status, status) << reply.body;
  EXPECT_EQ(reply.Header("content-type"), "application/problem+json") << reply.body;
  EXPECT_EQ(reply.Header("cache-control"), "no-store");
  const json body = json::parse(reply.body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << reply.body;
  EXPECT_EQ(body.value("type", ""), slug.empty() ? "about:blank" : std::string(kPrefix) + slug);
  EXPECT_EQ(body.value("status", 0), status);
  EXPECT_FALSE(body.value("title", "").empty());
  EXPECT_FALSE(body.value("detail", "").empty());
  EXPECT_EQ(body.value("instance", ""), instance);
}

struct Seen {
  std::string method;
  std::string route;
  int status;
};

class ServerIt : public ::testing::Test {
 protected:
  static ServerOptions Options() {
    ServerOptions options;
    options.name = "kit";
    options.max_threads = 4;
    options.max_body_bytes = 1000;
    options.problem_type_prefix = std::string(kPrefix);
    return options;
  }

  Router Routes() {
    Router router;
    router.Add("GET", "/items/{id}", [](Exchange& ex) {
      ex.SendJson(200, {{"id", ex.Param("id")}, {"q", ex.Query("q").value_or("-")}, {"route", ex.Route()}});
    });
    router.Add("DELETE", "/items/{id}", [](Exchange& ex) { ex.Send(204, "text/plain", ""); });
    router.Add("POST", "/echo", [](Exchange& ex) {
      if (!ex.RequireContentType("application/json")) return;
      if (auto body = ex.ReadBody()) ex.Send(200, "application/json", *body);
    });
    router.Add("POST", "/lenient", [](Exchange& ex) {
      if (!ex.RequireContentType("application/json", /*missing_ok=*/true)) return;
      if (auto body = ex.ReadBody()) ex.Send(200, "text/plain", std::to_string(body->size()));
    });
    router.Add("GET", "/throw", [](Exchange&) -> void {
      throw std::runtime_error("store postgresql://choreo:hunter2@db/orders unreachable");
    });
    router.Add("GET", "/throw-int", [](Exchange&) -> void { throw 42; });
    router.Add("GET", "/silent", [](Exchange&) {});
    router.Add("GET", "/slow", [this](Exchange& ex) {
      slow_entered_ = true;
      std::this_thread::sleep_for(500ms);
      ex.SendJson(200, {{"slow", true}});
    });
    return router;
  }

  void SetUp() override {
    server_ = std::make_unique<Server>(Options(), Routes(), [this](const Exchange& ex, auto) {
      std::lock_guard lock(mutex_);
      seen_.push_back({ex.Method(), ex.Route(), ex.Status()});
    });
    server_->Start();
    ASSERT_NE(server_->Port(), 0);
  }

  std::vector<Seen> SeenSoFar() {
    std::lock_guard lock(mutex_);
    return seen_;
  }

  std::uint16_t Port() const { return server_->Port(); }

  std::mutex mutex_;
  std::vector<Seen> seen_;
  std::atomic<bool> slow_entered_{false};
  std::unique_ptr<Server> server_;
};

TEST_F(ServerIt, RoutesWithPathAndQueryParameters) {
  HttpResult reply = Request(Port(), "GET", "/items/a%20b?q=x%26y&q=second");
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.Header("content-type"), "application/json");
  EXPECT_EQ(reply.Header("cache-control"), "no-store");
  EXPECT_EQ(reply.Header("server"), "choreo-kit");
  EXPECT_EQ(reply.Json(), json({{"id", "a b"}, {"q", "x&y"}, {"route", "/items/{id}"}}));
  EXPECT_EQ(Request(Port(), "DELETE", "/items/1").status, 204);
}

TEST_F(ServerIt, UnknownPathIs404AndOtherMethodIs405WithAllow) {
  HttpResult missing = Request(Port(), "GET", "/nope?secret=1");
  ExpectProblem(missing, 404, "", "/nope");
  EXPECT_EQ(missing.Json()["detail"], "no route for GET /nope");
  ExpectProblem(Request(Port(), "GET", "/items/"), 404, "", "/items/");

  HttpResult wrong = Request(Port(), "PUT", "/items/7");
  ExpectProblem(wrong, 405, "", "/items/7");
  EXPECT_EQ(wrong.Header("allow"), "GET, DELETE");
  HttpResult head = Request(Port(), "HEAD", "/items/7");  // headers only
  EXPECT_EQ(head.status, 405);
  EXPECT_EQ(head.Header("allow"), "GET, DELETE");
  ExpectProblem(Request(Port(), "OPTIONS", "/items/7"), 405, "", "/items/7");
}

TEST_F(ServerIt, HeadForGetSendsHeadersOnly) {
  Router router(RouterOptions{.head_for_get = true});
  router.Add("GET", "/healthz", [](Exchange& ex) { ex.SendJson(200, {{"status", "ok"}}); });
  Server server(Options(), std::move(router));
  server.Start();
  HttpResult head = Request(server.Port(), "HEAD", "/healthz");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(Request(server.Port(), "POST", "/healthz").Header("allow"), "GET, HEAD");
}

TEST_F(ServerIt, ExceptionsAndSilentHandlersAre500AndLoggedWithoutPasswords) {
  ::testing::internal::CaptureStderr();
  HttpResult thrown = Request(Port(), "GET", "/throw");
  HttpResult non_standard = Request(Port(), "GET", "/throw-int");
  HttpResult silent = Request(Port(), "GET", "/silent");
  const std::string log = ::testing::internal::GetCapturedStderr();
  ExpectProblem(thrown, 500, "internal-error", "/throw");
  ExpectProblem(non_standard, 500, "internal-error", "/throw-int");
  ExpectProblem(silent, 500, "internal-error", "/silent");
  EXPECT_EQ(thrown.body.find("hunter2"), std::string::npos) << thrown.body;
  EXPECT_EQ(thrown.body.find("unreachable"), std::string::npos) << "the error stays in the log";
  EXPECT_NE(log.find("unreachable"), std::string::npos) << log;
  EXPECT_NE(log.find("\"route\":\"/throw\""), std::string::npos) << log;
  EXPECT_EQ(log.find("hunter2"), std::string::npos) << log;
  // The server goes on serving.
  EXPECT_EQ(Request(Port(), "GET", "/items/1").status, 200);
}

TEST_F(ServerIt, BodyWithinTheLimitIsRead) {
  const std::string body = R"({"a":1})";
  HttpResult reply = Request(Port(), "POST", "/echo", body, "application/json; charset=utf-8");
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.body, body);
  bool closed = false;
  std::string response = RawExchange(Port(),
                                     "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                     "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                                     "3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n\r\n",
                                     5s, &closed);
  EXPECT_EQ(response.rfind("HTTP/1.1 200", 0), 0u) << response;
  EXPECT_NE(response.find("\r\n\r\n{\"a\":1}"), std::string::npos) << response;
}

TEST_F(ServerIt, AnnouncedOversizedBodyIs413WithoutReadingAndTheConnectionCloses) {
  bool closed = false;
  std::string response = RawExchange(Port(),
                                     "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                     "Content-Length: 100000000\r\n\r\n" + std::string(512, 'a'),
                                     10s, &closed);
  EXPECT_EQ(response.rfind("HTTP/1.1 413", 0), 0u) << response;
  EXPECT_NE(response.find("application/problem+json"), std::string::npos);
  EXPECT_NE(response.find("urn:choreo:kit-test:body-too-large"), std::string::npos);
  EXPECT_NE(response.find("\"max_bytes\":1000"), std::string::npos);
  EXPECT_TRUE(closed);
}

TEST_F(ServerIt, ChunkedBodyOverTheLimitIs413) {
  // 2 KiB in 512-byte chunks and no last chunk: the limit (1000 bytes) is hit while reading.
  std::string chunks;
  for (int i = 0; i < 4; ++i) chunks += "200\r\n" + std::string(512, 'a') + "\r\n";
  bool closed = false;
  const std::string response = RawExchange(
      Port(), "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks,
      10s, &closed);
  EXPECT_TRUE(response.starts_with("HTTP/1.1 413")) << response;
  EXPECT_TRUE(closed);
}

TEST_F(ServerIt, BodyWithoutLengthIs411) {
  bool closed = false;
  std::string response = RawExchange(
      Port(), "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\r\n{}", 10s, &closed);
  EXPECT_EQ(response.rfind("HTTP/1.1 411", 0), 0u) << response;
  EXPECT_NE(response.find("urn:choreo:kit-test:length-required"), std::string::npos);
  EXPECT_TRUE(closed);
}

TEST_F(ServerIt, SlowBodyIs408) {
  ServerOptions options = Options();
  options.io_timeout = 200ms;
  options.body_timeout = 500ms;
  Server server(options, Routes());
  server.Start();
  bool closed = false;
  std::string response = RawExchange(
      server.Port(), "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
      10s, &closed);
  EXPECT_EQ(response.rfind("HTTP/1.1 408", 0), 0u) << response;
  EXPECT_TRUE(closed);
}

TEST_F(ServerIt, WrongContentTypeIs415) {
  ExpectProblem(Request(Port(), "POST", "/echo", "{}", "text/plain"), 415, "unsupported-media-type", "/echo");
  ExpectProblem(Request(Port(), "POST", "/echo", "{}", "application/json; charset=latin1"), 415,
                "unsupported-media-type", "/echo");
  // Without Content-Type: refused unless the route takes that as JSON.
  bool closed = false;
  std::string refused =
      RawExchange(Port(), "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}", 5s, &closed);
  EXPECT_EQ(refused.rfind("HTTP/1.1 415", 0), 0u) << refused;
  std::string taken = RawExchange(
      Port(), "POST /lenient HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}", 5s, &closed);
  EXPECT_EQ(taken.rfind("HTTP/1.1 200", 0), 0u) << taken;
}

TEST_F(ServerIt, ObserverSeesEveryAnswerWithItsRoute) {
  Request(Port(), "GET", "/items/9");
  Request(Port(), "GET", "/nope");
  Request(Port(), "PUT", "/items/9");
  ASSERT_TRUE(choreo::testing::WaitFor([&] { return SeenSoFar().size() == 3; }, 5s));
  // Each connection has its thread, so the observer may see the three in any order.
  std::multiset<std::string> seen;
  for (const auto& answer : SeenSoFar()) {
    seen.insert(answer.method + " " + answer.route + " " + std::to_string(answer.status));
  }
  EXPECT_EQ(seen, (std::multiset<std::string>{"GET /items/{id} 200", "GET  404", "PUT /items/{id} 405"}));
}

TEST_F(ServerIt, ListenBindsBeforeStartAndStopReleasesThePort) {
  ServerOptions options = Options();
  options.port = static_cast<std::uint16_t>(choreo::testing::FreePort());
  Server server(options, Routes());
  server.Listen();
  EXPECT_EQ(server.Port(), options.port);
  // A second listener on the port fails, naming the address.
  Server second(options, Routes());
  try {
    second.Start();
    FAIL() << "second listener on the same port";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(options.port)), std::string::npos)
        << e.what();
  }
  server.Start();
  EXPECT_EQ(Request(server.Port(), "GET", "/items/1").status, 200);
  server.Stop();
  EXPECT_EQ(server.Port(), 0);
  EXPECT_ANY_THROW(Request(options.port, "GET", "/items/1"));
  server.Stop();  // idempotent
  server.Start();
  EXPECT_EQ(Request(server.Port(), "GET", "/items/1").status, 200);
}

TEST_F(ServerIt, StopLetsTheRequestInFlightFinishAndDoesNotWaitForIdleConnections) {
  // A keep-alive connection left idle after one answer.
  Poco::Net::StreamSocket idle(Poco::Net::SocketAddress("127.0.0.1", Port()));
  const std::string get = "GET /items/1 HTTP/1.1\r\nHost: x\r\n\r\n";
  idle.sendBytes(get.data(), static_cast<int>(get.size()));
  char answer[1024];
  ASSERT_GT(idle.receiveBytes(answer, sizeof answer), 0);

  HttpResult slow;
  std::thread client([&] { slow = Request(Port(), "GET", "/slow"); });
  ASSERT_TRUE(choreo::testing::WaitFor([&] { return slow_entered_.load(); }, 5s));
  const auto started = std::chrono::steady_clock::now();
  server_->Stop();
  client.join();
  EXPECT_EQ(slow.status, 200) << "the request in flight was cut";
  // The idle keep-alive connection (5 s timeout) did not hold Stop up.
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
}

TEST(ServerOptions, Validate) {
  EXPECT_NO_THROW(ServerOptions{}.Validate());
  auto invalid = [](auto change) {
    ServerOptions options;
    change(options);
    EXPECT_THROW(options.Validate(), std::invalid_argument);
    EXPECT_THROW(Server(options, Router()), std::invalid_argument);
  };
  invalid([](ServerOptions& o) { o.name.clear(); });
  invalid([](ServerOptions& o) { o.host.clear(); });
  invalid([](ServerOptions& o) { o.max_threads = 0; });
  invalid([](ServerOptions& o) { o.max_queued = 0; });
  invalid([](ServerOptions& o) { o.io_timeout = 0ms; });
  invalid([](ServerOptions& o) { o.keep_alive_timeout = 0ms; });
  invalid([](ServerOptions& o) { o.max_keep_alive_requests = -1; });
  invalid([](ServerOptions& o) { o.thread_idle_time = 0ms; });
  invalid([](ServerOptions& o) { o.max_body_bytes = 0; });
  invalid([](ServerOptions& o) { o.body_timeout = 0ms; });
}

}  // namespace
}  // namespace choreo::http
