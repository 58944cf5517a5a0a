// The gateway in-process against the test broker and databases: order intake end to end
// (202 -> order.placed on the `orders` exchange), every error class, idempotency,
// authentication, slow and oversized requests, metrics.
#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>

#include <gtest/gtest.h>

#include "choreo/amqp/amqp.hpp"
#include "choreo/contracts/events.hpp"
#include "choreo/contracts/validation.hpp"
#include "choreo/gateway/gateway.hpp"
#include "choreo/testing/test_database.hpp"
#include "choreo/testing/testing.hpp"
#include "gateway_rig.hpp"
#include "http_client.hpp"

namespace choreo::gateway {
namespace {

using namespace ::choreo::gateway::testing;
using namespace std::chrono_literals;
using nlohmann::json;

// Lets a test hold a request inside its intake transaction.
class Gate {
 public:
  // The hook: the first call waits until Release(); later calls pass.
  std::function<void()> Hook() {
    return [this] {
      std::unique_lock lock(mutex_);
      if (used_) return;
      used_ = true;
      reached_ = true;
      cv_.notify_all();
      cv_.wait(lock, [this] { return released_; });
    };
  }
  // A hook that only records that it ran.
  std::function<void()> Marker() {
    return [this] { reached_ = true; };
  }
  bool Reached() const { return reached_; }
  void Release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool used_ = false;
  std::atomic<bool> reached_{false};
  bool released_ = false;
};

class GatewayHttpTest : public VhostPerSuite<GatewayHttpTest> {
 public:
  static constexpr const char* kVhostPrefix = "gwhttp";

 protected:
  std::unique_ptr<Gateway> StartGateway(const std::string& store_url,
                                        const std::function<void(GatewayOptions&)>& tweak = {}) {
    return testing::StartGateway(vhost_->AmqpUrl(), store_url, tweak);
  }

  std::uint16_t Port() { return gateway_->Port(); }

  void SetUp() override {
    db_ = std::make_unique<TestDatabase>(DbKind::kSqlite, "gwhttp");
    gateway_ = StartGateway(db_->Url());
  }

  static void ExpectProblem(const HttpResult& result, int status, const std::string& type) {
    EXPECT_EQ(result.status, status) << result.body;
    EXPECT_EQ(result.Header("content-type"), "application/problem+json") << result.body;
    json body = json::parse(result.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << result.body;
    EXPECT_EQ(body.value("status", 0), status);
    EXPECT_EQ(body.value("type", ""), type.empty() ? "about:blank" : "urn:choreo:problem:" + type);
    EXPECT_FALSE(body.value("title", "").empty());
    EXPECT_FALSE(body.value("detail", "").empty());
  }

  std::size_t CountRows(const std::string& table) {
    return gateway_->Store().InTransaction([&](store::Tx& tx) {
      std::int64_t n = 0;
      tx.Run("SELECT COUNT(*) FROM " + table, Poco::Data::Keywords::into(n));
      return static_cast<std::size_t>(n);
    });
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<Gateway> gateway_;
};

TEST_F(GatewayHttpTest, ValidOrderIsAcceptedAndPublishedAsOrderPlaced) {
  amqp::Connection connection(amqp::ConnectionOptions{.url = vhost_->AmqpUrl()});
  auto consumer = PlacedConsumer(connection);

  HttpResult result = PostOrder(Port(), ExampleOrder());
  ASSERT_EQ(result.status, 202) << result.body;
  EXPECT_EQ(result.Header("content-type"), "application/json");
  json body = result.Json();
  const std::string order_id = body.at("order_id");
  EXPECT_EQ(body.at("status"), "PLACED");
  EXPECT_EQ(result.Header("location"), "/orders/" + order_id);
  EXPECT_FALSE(result.Has("idempotent-replayed"));

  // Every message taken on the way must be a valid envelope (ReceivePlaced validates it).
  const std::optional<amqp::Delivery> delivery = ReceivePlaced(*consumer, order_id, 20s);
  ASSERT_TRUE(delivery.has_value()) << "no order.placed for " << order_id << " within the deadline";
  const contracts::Envelope placed = contracts::ParseAndValidate(delivery->message.body);
  EXPECT_EQ(delivery->message.message_id, placed.message_id);
  EXPECT_EQ(delivery->message.type, "order.placed");
  EXPECT_EQ(delivery->routing_key, "order.placed");
  auto event = contracts::PayloadAs<contracts::OrderPlaced>(placed);
  EXPECT_EQ(event.order_id, order_id);
  EXPECT_EQ(event.customer_id, "cust-42");
  ASSERT_EQ(event.lines.size(), 1u);
  EXPECT_EQ(event.lines[0].sku, "sku-001");
  EXPECT_EQ(event.lines[0].quantity, 2);
  EXPECT_EQ(event.payment.token, "tok_ok");
  EXPECT_EQ(event.shipping_address.country, "DE");
  EXPECT_EQ(placed.producer, "gateway");

  // Right after the POST the order is readable, PLACED.
  HttpResult order = Request(Port(), "GET", "/orders/" + order_id);
  ASSERT_EQ(order.status, 200) << order.body;
  EXPECT_EQ(order.Json().at("status"), "PLACED");
  EXPECT_EQ(order.Json().at("history").size(), 1u);
}

TEST_F(GatewayHttpTest, IntakeRecordIdempotencyRecordAndOutboxRowCommitTogether) {
  ASSERT_EQ(PostOrder(Port(), ExampleOrder(), {{"Idempotency-Key", "together-1"}}).status, 202);
  EXPECT_EQ(CountRows("gateway_orders"), 1u);
  EXPECT_EQ(CountRows("gateway_idempotency"), 1u);
  // The outbox row exists (pending or already sent by the relay).
  EXPECT_EQ(gateway_->Store().InTransaction([](store::Tx& tx) {
    std::int64_t n = 0;
    tx.Run("SELECT COUNT(*) FROM choreo_outbox", Poco::Data::Keywords::into(n));
    return n;
  }), 1);
}

TEST_F(GatewayHttpTest, MalformedJsonIs400) {
  HttpResult result = Request(Port(), "POST", "/orders", R"({"customer_id": )", "application/json");
  ExpectProblem(result, 400, "malformed-json");
  EXPECT_NE(result.Json().at("detail").get<std::string>().find("line 1"), std::string::npos);
}

TEST_F(GatewayHttpTest, InvalidOrderIs400WithFieldErrors) {
  json order = ExampleOrder();
  order["lines"][0]["quantity"] = 0;
  order["shipping_address"]["country"] = "XX";
  order["discount"] = 5;
  HttpResult result = PostOrder(Port(), order);
  ExpectProblem(result, 400, "validation-error");
  std::set<std::string> pointers;
  const json body = result.Json();
  for (const auto& error : body.at("errors")) pointers.insert(error.at("pointer").get<std::string>());
  EXPECT_EQ(pointers, (std::set<std::string>{"/lines/0/quantity", "/shipping_address/country", "/discount"}));
  EXPECT_EQ(CountRows("gateway_orders"), 0u);
}

TEST_F(GatewayHttpTest, WrongContentTypeIs415) {
  ExpectProblem(Request(Port(), "POST", "/orders", ExampleOrder().dump(), "text/plain"), 415, "unsupported-media-type");
  ExpectProblem(Request(Port(), "POST", "/orders", ExampleOrder().dump()), 415, "unsupported-media-type");
  EXPECT_EQ(Request(Port(), "POST", "/orders", ExampleOrder().dump(), "application/json; charset=utf-8").status, 202);
}

TEST_F(GatewayHttpTest, WrongMethodIs405WithAllow) {
  HttpResult result = Request(Port(), "GET", "/orders");
  ExpectProblem(result, 405, "");
  EXPECT_EQ(result.Header("allow"), "POST");
  result = Request(Port(), "DELETE", "/orders/abc");
  ExpectProblem(result, 405, "");
  EXPECT_EQ(result.Header("allow"), "GET");
  ExpectProblem(Request(Port(), "POST", "/healthz", "{}", "application/json"), 405, "");
}

TEST_F(GatewayHttpTest, UnknownRouteAndUnknownOrderAre404) {
  ExpectProblem(Request(Port(), "GET", "/nope"), 404, "");
  ExpectProblem(Request(Port(), "GET", "/orders/"), 404, "");
  ExpectProblem(Request(Port(), "GET", "/orders/00000000-0000-4000-8000-000000000000"), 404, "order-not-found");
  ExpectProblem(Request(Port(), "GET", "/orders/%27%3B%20DROP"), 404, "order-not-found");
}

TEST_F(GatewayHttpTest, InvalidIdempotencyKeyIs400) {
  ExpectProblem(PostOrder(Port(), ExampleOrder(), {{"Idempotency-Key", std::string(256, 'k')}}), 400,
                "invalid-idempotency-key");
  EXPECT_EQ(CountRows("gateway_orders"), 0u);
}

TEST_F(GatewayHttpTest, OversizedBodyWithContentLengthIs413WithoutReadingIt) {
  // Announce 100 MB, send 1 KiB, then wait: the answer must come while the client still
  // "owes" almost all of the body, and the server must close the connection.
  std::string request =
      "POST /orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Content-Length: 100000000\r\n\r\n" +
      std::string(1024, 'a');
  bool closed = false;
  std::string response = RawExchange(Port(), request, 10s, &closed);
  EXPECT_EQ(response.rfind("HTTP/1.1 413", 0), 0u) << response;
  EXPECT_NE(response.find("application/problem+json"), std::string::npos);
  EXPECT_NE(response.find("urn:choreo:problem:body-too-large"), std::string::npos);
  EXPECT_TRUE(closed) << "the server should close a connection whose body it did not read";
}

TEST_F(GatewayHttpTest, OversizedChunkedBodyIs413AfterTheLimit) {
  std::string request =
      "POST /orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 20; ++i) request += "1000\r\n" + std::string(4096, 'a') + "\r\n";  // 80 KiB, no end chunk
  bool closed = false;
  std::string response = RawExchange(Port(), request, 10s, &closed);
  EXPECT_EQ(response.rfind("HTTP/1.1 413", 0), 0u) << response;
  EXPECT_TRUE(closed);
  // The limit is configurable.
  auto small = StartGateway(db_->Url(), [](GatewayOptions& o) { o.max_body_bytes = 100; });
  ExpectProblem(PostOrder(small->Port(), ExampleOrder()), 413, "body-too-large");
}

TEST_F(GatewayHttpTest, SlowClientGets408AndFreesTheThread) {
  auto gateway = StartGateway(db_->Url(), [](GatewayOptions& o) {
    o.io_timeout = 300ms;
    o.request_timeout = 1s;
    o.max_threads = 1;
  });
  std::string request =
      "POST /orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Content-Length: 100\r\n\r\n{\"cust";
  bool closed = false;
  std::string response = RawExchange(gateway->Port(), request, 10s, &closed);
  EXPECT_EQ(response.rfind("HTTP/1.1 408", 0), 0u) << response;
  EXPECT_TRUE(closed);
  // The only thread is free again.
  EXPECT_EQ(Request(gateway->Port(), "GET", "/healthz").status, 200);
}

TEST_F(GatewayHttpTest, SameKeySameBodyReplaysTheFirstResponse) {
  const std::map<std::string, std::string> key{{"Idempotency-Key", "replay-1"}};
  HttpResult first = PostOrder(Port(), ExampleOrder(), key);
  ASSERT_EQ(first.status, 202) << first.body;
  // Same order, other key order and spacing: the same request.
  std::string reordered = R"({"shipping_address": {"country": "DE", "postal_code": "10115", "city": "Berlin",
    "line1": "1 Main St", "name": "Ada Lovelace"}, "payment": {"token": "tok_ok", "method": "card"},
    "lines": [{"quantity": 2, "sku": "sku-001"}], "customer_id": "cust-42"})";
  HttpResult second = Request(Port(), "POST", "/orders", reordered, "application/json", key);
  ASSERT_EQ(second.status, 202) << second.body;
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(second.Header("location"), first.Header("location"));
  EXPECT_EQ(second.Header("idempotent-replayed"), "true");
  EXPECT_EQ(CountRows("gateway_orders"), 1u);
  // Another key is another order.
  HttpResult other = PostOrder(Port(), ExampleOrder(), {{"Idempotency-Key", "replay-2"}});
  ASSERT_EQ(other.status, 202);
  EXPECT_NE(other.Json().at("order_id"), first.Json().at("order_id"));
}

TEST_F(GatewayHttpTest, SameKeyDifferentBodyIs422) {
  const std::map<std::string, std::string> key{{"Idempotency-Key", "mismatch-1"}};
  ASSERT_EQ(PostOrder(Port(), ExampleOrder(), key).status, 202);
  json changed = ExampleOrder();
  changed["lines"][0]["quantity"] = 3;
  ExpectProblem(PostOrder(Port(), changed, key), 422, "idempotency-key-reused");
  EXPECT_EQ(CountRows("gateway_orders"), 1u);
}

TEST_F(GatewayHttpTest, SameKeyWhileInFlightIs409) {
  Gate gate;
  auto gateway = StartGateway(db_->Url(), [&](GatewayOptions& o) { o.before_write_hook = gate.Hook(); });
  const std::map<std::string, std::string> key{{"Idempotency-Key", "inflight-1"}};
  auto first = std::async(std::launch::async, [&] { return PostOrder(gateway->Port(), ExampleOrder(), key); });
  ASSERT_TRUE(WaitFor([&] { return gate.Reached(); }, 10s));

  HttpResult concurrent = PostOrder(gateway->Port(), ExampleOrder(), key);
  ExpectProblem(concurrent, 409, "idempotency-key-in-flight");
  EXPECT_EQ(concurrent.Header("retry-after"), "1");

  gate.Release();
  HttpResult done = first.get();
  ASSERT_EQ(done.status, 202) << done.body;
  HttpResult again = PostOrder(gateway->Port(), ExampleOrder(), key);
  EXPECT_EQ(again.status, 202);
  EXPECT_EQ(again.Json().at("order_id"), done.Json().at("order_id"));
  EXPECT_EQ(again.Header("idempotent-replayed"), "true");
}

TEST_F(GatewayHttpTest, ApiKeysProtectOrderRoutesOnly) {
  auto secured = StartGateway(db_->Url(), [](GatewayOptions& o) { o.api_keys = {"key-one", "key-two"}; });
  HttpResult anonymous = PostOrder(secured->Port(), ExampleOrder());
  ExpectProblem(anonymous, 401, "unauthorized");
  EXPECT_EQ(anonymous.Header("www-authenticate"), "Bearer realm=\"choreo\"");
  ExpectProblem(PostOrder(secured->Port(), ExampleOrder(), {{"Authorization", "Bearer key-three"}}), 401,
                "unauthorized");
  ExpectProblem(PostOrder(secured->Port(), ExampleOrder(), {{"Authorization", "Basic a2V5LW9uZTo="}}), 401,
                "unauthorized");

  HttpResult accepted = PostOrder(secured->Port(), ExampleOrder(), {{"Authorization", "Bearer key-one"}});
  ASSERT_EQ(accepted.status, 202) << accepted.body;
  const std::string location = accepted.Header("location");
  ExpectProblem(Request(secured->Port(), "GET", location), 401, "unauthorized");
  EXPECT_EQ(Request(secured->Port(), "GET", location, "", "", {{"Authorization", "bearer key-two"}}).status, 200);
  EXPECT_EQ(Request(secured->Port(), "GET", "/healthz").status, 200);
  EXPECT_EQ(Request(secured->Port(), "GET", "/openapi.yaml").status, 200);

  // Idempotency keys are per API key: two callers cannot see each other's responses.
  HttpResult a = PostOrder(secured->Port(), ExampleOrder(),
                           {{"Authorization", "Bearer key-one"}, {"Idempotency-Key", "shared"}});
  HttpResult b = PostOrder(secured->Port(), ExampleOrder(),
                           {{"Authorization", "Bearer key-two"}, {"Idempotency-Key", "shared"}});
  ASSERT_EQ(a.status, 202);
  ASSERT_EQ(b.status, 202);
  EXPECT_NE(a.Json().at("order_id"), b.Json().at("order_id"));
  EXPECT_FALSE(b.Has("idempotent-replayed"));
}

TEST_F(GatewayHttpTest, HealthReadinessAndOpenApi) {
  EXPECT_EQ(Request(Port(), "GET", "/healthz").Json().at("status"), "ok");
  ASSERT_TRUE(gateway_->WaitUntilConsuming(30s));
  HttpResult ready;
  ASSERT_TRUE(WaitFor([&] { return (ready = Request(Port(), "GET", "/readyz")).status == 200; }, 30s, 100ms))
      << ready.body;
  EXPECT_EQ(ready.Json().at("checks").at("broker"), "up");
  EXPECT_EQ(ready.Json().at("checks").at("store"), "up");
  HttpResult openapi = Request(Port(), "GET", "/openapi.yaml");
  EXPECT_EQ(openapi.status, 200);
  EXPECT_NE(openapi.body.find("openapi: '3.1.0'"), std::string::npos);
}

// Two replicas on one PostgreSQL database: the idempotency table's primary key, not the
// in-process map, decides. Replica A is held before claiming the key; replica B claims it
// and commits; A's claim then finds the key taken and A answers with B's stored response.
TEST_F(GatewayHttpTest, ReplicasSharingADatabaseAgreeOnAKey) {
  TestDatabase shared(DbKind::kPostgres, "gwrep");
  Gate first_gate, second_gate;
  auto first = StartGateway(shared.Url(), [&](GatewayOptions& o) { o.before_write_hook = first_gate.Hook(); });
  auto second = StartGateway(shared.Url(), [&](GatewayOptions& o) { o.before_write_hook = second_gate.Marker(); });
  const std::map<std::string, std::string> key{{"Idempotency-Key", "replicas-1"}};

  auto a = std::async(std::launch::async, [&] { return PostOrder(first->Port(), ExampleOrder(), key); });
  ASSERT_TRUE(WaitFor([&] { return first_gate.Reached(); }, 10s));
  HttpResult rb = PostOrder(second->Port(), ExampleOrder(), key);
  ASSERT_EQ(rb.status, 202) << rb.body;
  EXPECT_TRUE(second_gate.Reached());
  EXPECT_FALSE(rb.Has("idempotent-replayed"));
  first_gate.Release();

  HttpResult ra = a.get();
  ASSERT_EQ(ra.status, 202) << ra.body;
  EXPECT_EQ(ra.Json().at("order_id"), rb.Json().at("order_id"));
  EXPECT_EQ(ra.Header("idempotent-replayed"), "true");
  std::int64_t orders = first->Store().InTransaction([](store::Tx& tx) {
    std::int64_t n = 0;
    tx.Run("SELECT COUNT(*) FROM gateway_orders", Poco::Data::Keywords::into(n));
    return n;
  });
  EXPECT_EQ(orders, 1);
}

}  // namespace
}  // namespace choreo::gateway
