// Load shedding of POST /orders against a real store and broker: the in-flight bound
// (503, lifted as orders finish), the per-key rate limit (429), the intake backlog while
// the broker is unreachable (503); what is refused is not stored, and counted.
#include <gtest/gtest.h>

#include "choreo/gateway/gateway.hpp"
#include "choreo/metrics/metrics.hpp"
#include "choreo/testing/store_fixture.hpp"
#include "choreo/testing/test_database.hpp"
#include "choreo/testing/testing.hpp"
#include "gateway_rig.hpp"
#include "http_client.hpp"

namespace choreo::gateway {
namespace {

namespace t = ::choreo::testing;
using nlohmann::json;
using t::DbKind;
using namespace ::choreo::gateway::testing;
using namespace std::chrono_literals;

double Shed(const std::string& reason) {
  return metrics::Registry::Default()
      .GetCounter("choreo_gateway_orders_shed_total", "", {{"reason", reason}})
      .Value();
}

std::int64_t Count(Gateway& gateway, const std::string& sql) {
  return gateway.Store().InTransaction([&](store::Tx& tx) {
    Poco::Int64 n = 0;
    tx.Run(sql, Poco::Data::Keywords::into(n));
    return static_cast<std::int64_t>(n);
  });
}

void ExpectRefusal(const HttpResult& result, int status, const std::string& type) {
  EXPECT_EQ(result.status, status) << result.body;
  EXPECT_EQ(result.Header("content-type"), "application/problem+json");
  EXPECT_FALSE(result.Header("retry-after").empty());
  const json body = json::parse(result.body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << result.body;
  EXPECT_EQ(body.value("type", ""), "urn:choreo:problem:" + type);
  EXPECT_EQ(body.value("status", 0), status);
  EXPECT_FALSE(body.value("detail", "").empty());
}

class SheddingTest : public VhostPerSuite<SheddingTest, ::testing::TestWithParam<DbKind>> {
 public:
  static constexpr const char* kVhostPrefix = "gwshed";

 protected:
  std::unique_ptr<Gateway> Start(const std::function<void(GatewayOptions&)>& tweak) {
    db_ = std::make_unique<t::TestDatabase>(GetParam(), "gwshed");
    return StartGateway(vhost_->AmqpUrl(), db_->Url(), [&](GatewayOptions& options) {
      options.admission.refresh_interval = 20ms;
      tweak(options);
    });
  }

  std::unique_ptr<t::TestDatabase> db_;
};

TEST_P(SheddingTest, InFlightBoundRefusesWith503UntilOrdersFinish) {
  // No worker runs: accepted orders stay in progress until the test finishes one.
  auto gateway = Start([](GatewayOptions& o) { o.admission.max_in_flight = 3; });
  const double shed_before = Shed("in_flight");
  std::vector<std::string> accepted;
  for (int i = 0; i < 3; ++i) {
    HttpResult result = PostOrder(gateway->Port(), ExampleOrder());
    ASSERT_EQ(result.status, 202) << result.body;
    accepted.push_back(result.Json().at("order_id"));
  }
  HttpResult refused = PostOrder(gateway->Port(), ExampleOrder(), {{"Idempotency-Key", "shed-1"}});
  ExpectRefusal(refused, 503, "overloaded");
  EXPECT_EQ(refused.Header("retry-after"), "1");
  EXPECT_EQ(refused.Json().value("reason", ""), "in_flight");
  EXPECT_EQ(Shed("in_flight"), shed_before + 1);
  EXPECT_EQ(Count(*gateway, "SELECT COUNT(*) FROM gateway_orders"), 3) << "a refused order was stored";
  EXPECT_EQ(Count(*gateway, "SELECT COUNT(*) FROM gateway_idempotency"), 0) << "a refused key was claimed";

  // One order finishes (as the read model records order.confirmed): room for one more.
  gateway->Store().InTransaction([&](store::Tx& tx) {
    tx.Run("UPDATE gateway_order_view SET status = 'confirmed' WHERE order_id = ?", accepted.front());
  });
  HttpResult retried;
  ASSERT_TRUE(t::WaitFor([&] {
    retried = PostOrder(gateway->Port(), ExampleOrder(), {{"Idempotency-Key", "shed-1"}});
    return retried.status != 503;
  }, 10s, 20ms));
  EXPECT_EQ(retried.status, 202) << retried.body;
  ExpectRefusal(PostOrder(gateway->Port(), ExampleOrder()), 503, "overloaded");
}

TEST_P(SheddingTest, RateLimitPerKeyRefusesWith429) {
  auto gateway = Start([](GatewayOptions& o) {
    o.api_keys = {"key-a", "key-b"};
    o.admission.rate_per_key = 0.2;  // one order every 5 s after the burst
    o.admission.burst_per_key = 2;
  });
  const double shed_before = Shed("rate_limited");
  const std::map<std::string, std::string> a{{"Authorization", "Bearer key-a"}};
  ASSERT_EQ(PostOrder(gateway->Port(), ExampleOrder(), a).status, 202);
  ASSERT_EQ(PostOrder(gateway->Port(), ExampleOrder(), a).status, 202);
  HttpResult limited = PostOrder(gateway->Port(), ExampleOrder(), a);
  ExpectRefusal(limited, 429, "rate-limited");
  const int retry_after = std::stoi(limited.Header("retry-after"));
  EXPECT_GE(retry_after, 4);
  EXPECT_LE(retry_after, 5);
  EXPECT_EQ(Shed("rate_limited"), shed_before + 1);
  // Another key has its own budget.
  EXPECT_EQ(PostOrder(gateway->Port(), ExampleOrder(), {{"Authorization", "Bearer key-b"}}).status, 202);
  EXPECT_EQ(Count(*gateway, "SELECT COUNT(*) FROM gateway_orders"), 3);
}

TEST_P(SheddingTest, IntakeBacklogRefusesWhileTheBrokerIsUnreachable) {
  const int closed = ::choreo::testing::FreePort();
  auto gateway = Start([&](GatewayOptions& o) {
    o.amqp_url = "amqp://guest:guest@127.0.0.1:" + std::to_string(closed) + "/";
    o.admission.max_intake_pending = 2;
  });
  ASSERT_EQ(PostOrder(gateway->Port(), ExampleOrder()).status, 202);
  ASSERT_EQ(PostOrder(gateway->Port(), ExampleOrder()).status, 202);
  HttpResult refused = PostOrder(gateway->Port(), ExampleOrder());
  ExpectRefusal(refused, 503, "overloaded");
  EXPECT_EQ(refused.Json().value("reason", ""), "intake_backlog");
  EXPECT_EQ(Count(*gateway, "SELECT COUNT(*) FROM choreo_outbox WHERE sent_at IS NULL"), 2);
}

TEST_P(SheddingTest, InvalidOrdersAreAnswered400NotShed) {
  auto gateway = Start([](GatewayOptions& o) { o.admission.max_in_flight = 1; });
  ASSERT_EQ(PostOrder(gateway->Port(), ExampleOrder()).status, 202);
  json bad = ExampleOrder();
  bad["lines"][0]["quantity"] = 0;
  EXPECT_EQ(PostOrder(gateway->Port(), bad).status, 400);
}

INSTANTIATE_TEST_SUITE_P(Stores, SheddingTest, t::EveryStore(), t::StoreName);

// The in-flight count is read on every refresh; it must walk the partial index of open
// orders, not the table of all orders ever taken.
TEST(SheddingPlan, InFlightCountUsesThePartialIndex) {
  t::TestDatabase db(DbKind::kSqlite, "gwplan");
  GatewayOptions options;
  options.port = 0;
  options.amqp_url = "amqp://guest:guest@127.0.0.1:1/";
  options.store_url = db.Url();
  Gateway gateway(options);  // migrates
  const std::string plan = gateway.Store().InTransaction([](store::Tx& tx) {
    std::vector<std::string> details;
    std::vector<Poco::Int64> ids, parents, unused;
    tx.Run("EXPLAIN QUERY PLAN SELECT COUNT(*) FROM gateway_order_view WHERE status NOT IN ('confirmed', 'cancelled')",
           Poco::Data::Keywords::into(ids), Poco::Data::Keywords::into(parents), Poco::Data::Keywords::into(unused),
           Poco::Data::Keywords::into(details));
    std::string all;
    for (const auto& d : details) all += d + "\n";
    return all;
  });
  EXPECT_NE(plan.find("gateway_order_view_open"), std::string::npos) << plan;
}

}  // namespace
}  // namespace choreo::gateway
