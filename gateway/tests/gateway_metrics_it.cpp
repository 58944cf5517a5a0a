// GET /metrics of a running gateway. A binary of its own with one gateway per process:
// the worker runtime registers a metrics collector per Worker and never removes it, so
// rendering after another Worker of the same process was destroyed would touch freed
// memory (reported to the runtime's owner).
#include <gtest/gtest.h>

#include "choreo/gateway/gateway.hpp"
#include "choreo/testing/test_database.hpp"
#include "choreo/testing/testing.hpp"
#include "http_client.hpp"

namespace choreo::gateway {
namespace {

using namespace ::choreo::gateway::testing;

TEST(GatewayMetrics, RequestsByRouteAndStatusLatencyAndOutboxBacklog) {
  ::choreo::testing::TestVhost vhost("gwmetrics");
  ::choreo::testing::TestDatabase db(::choreo::testing::DbKind::kSqlite, "gwmetrics");
  GatewayOptions options;
  options.port = 0;
  options.amqp_url = vhost.AmqpUrl();
  options.store_url = db.Url();
  Gateway gateway(options);
  gateway.Start();

  ASSERT_EQ(PostOrder(gateway.Port(), ExampleOrder()).status, 202);
  ASSERT_EQ(Request(gateway.Port(), "GET", "/nope").status, 404);
  HttpResult metrics = Request(gateway.Port(), "GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.Header("content-type").rfind("text/plain", 0), 0u);
  for (const char* expected :
       {"choreo_gateway_http_requests_total{method=\"POST\",route=\"/orders\",status=\"202\"} 1",
        "choreo_gateway_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1",
        "choreo_gateway_http_request_duration_seconds_bucket{route=\"/orders\",le=\"+Inf\"} 1",
        "choreo_gateway_outbox_pending ", "choreo_gateway_outbox_oldest_pending_age_seconds ",
        "choreo_gateway_broker_connected ", "choreo_gateway_orders_accepted_total 1"}) {
    EXPECT_NE(metrics.body.find(expected), std::string::npos) << expected << "\n" << metrics.body;
  }
  gateway.Stop();
}

}  // namespace
}  // namespace choreo::gateway
