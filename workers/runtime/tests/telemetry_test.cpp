// Telemetry: every outcome counted once, under the names and labels operators rely on.
#include <gtest/gtest.h>

#include <string>

#include "choreo/contracts/events.hpp"
#include "telemetry.hpp"

namespace choreo::worker::detail {
namespace {

bool Has(metrics::Registry& registry, const std::string& line) {
  return registry.Render().find(line) != std::string::npos;
}

TEST(Telemetry, CountsEachOutcomeInStatsAndMetrics) {
  metrics::Registry registry;
  Telemetry telemetry("shipping", registry);
  contracts::Envelope envelope;
  envelope.type = "inventory.committed";
  telemetry.Handled(envelope.type, 0.004);
  telemetry.Handled(envelope.type, 0.006);
  telemetry.Duplicate(envelope);
  telemetry.Transaction();
  telemetry.Retried(envelope.type);
  telemetry.DeadLettered(envelope.type, "contract_error");
  telemetry.Returned(envelope.type);

  const WorkerStats stats = telemetry.Stats();
  EXPECT_EQ(stats.handled, 2u);
  EXPECT_EQ(stats.duplicates, 1u);
  EXPECT_EQ(stats.transactions, 1u);
  EXPECT_EQ(stats.retried, 1u);
  EXPECT_EQ(stats.dead_lettered, 1u);

  // The registry renders labels in name order.
  const std::string consumed = "choreo_messages_consumed_total{outcome=\"";
  const std::string of = "\",type=\"inventory.committed\",worker=\"shipping\"} ";
  EXPECT_TRUE(Has(registry, consumed + "handled" + of + "2")) << registry.Render();
  EXPECT_TRUE(Has(registry, consumed + "duplicate" + of + "1"));
  EXPECT_TRUE(Has(registry, consumed + "retried" + of + "1"));
  EXPECT_TRUE(Has(registry, consumed + "dead_lettered" + of + "1"));
  EXPECT_TRUE(Has(registry, consumed + "returned" + of + "1"));
  EXPECT_TRUE(Has(registry, "choreo_messages_retried_total{worker=\"shipping\"} 1"));
  EXPECT_TRUE(Has(registry, "choreo_messages_dead_lettered_total{error_class=\"contract_error\",worker=\"shipping\"} 1"));
  EXPECT_TRUE(Has(registry, "choreo_handler_duration_seconds_count{type=\"inventory.committed\",worker=\"shipping\"} 2"));
}

TEST(Telemetry, TheRetrySeriesExistsBeforeTheFirstRetry) {
  metrics::Registry registry;
  Telemetry telemetry("payment", registry);
  EXPECT_TRUE(Has(registry, "choreo_messages_retried_total{worker=\"payment\"} 0")) << registry.Render();
}

TEST(Telemetry, TypeLabelsStayABoundedSet) {
  amqp::Delivery delivery;
  delivery.message.type = "inventory.committed";
  EXPECT_EQ(TypeLabel(delivery, nullptr), "inventory.committed");
  delivery.message.type = "anything a foreign publisher wrote";
  EXPECT_EQ(TypeLabel(delivery, nullptr), "unknown");
  contracts::Envelope envelope;
  envelope.type = "order.placed";
  EXPECT_EQ(TypeLabel(delivery, &envelope), "order.placed");
}

TEST(Telemetry, LogFieldsNameTheMessageAndItsOrder) {
  contracts::Envelope envelope;
  envelope.type = "order.placed";
  envelope.message_id = "m-1";
  envelope.correlation_id = "o-1";
  envelope.causation_id = "m-0";
  const nlohmann::json fields = LogFields("inventory", envelope);
  EXPECT_EQ(fields.at("worker"), "inventory");
  EXPECT_EQ(fields.at("message_id"), "m-1");
  EXPECT_EQ(fields.at("correlation_id"), "o-1");
  EXPECT_EQ(fields.at("causation_id"), "m-0");
  EXPECT_EQ(fields.at("type"), "order.placed");
}

}  // namespace
}  // namespace choreo::worker::detail
