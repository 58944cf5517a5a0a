#include "gateway_rig.hpp"

#include "choreo/contracts/validation.hpp"

namespace choreo::gateway::testing {

std::unique_ptr<Gateway> StartGateway(const std::string& amqp_url, const std::string& store_url,
                                      const std::function<void(GatewayOptions&)>& tweak) {
  GatewayOptions options;
  options.port = 0;
  options.amqp_url = amqp_url;
  options.store_url = store_url;
  options.max_threads = 4;
  if (tweak) tweak(options);
  auto gateway = std::make_unique<Gateway>(options);
  gateway->Start();
  return gateway;
}

std::unique_ptr<amqp::Consumer> PlacedConsumer(amqp::Connection& connection) {
  connection.DeclareExchange(amqp::ExchangeSpec{.name = "orders", .type = "topic"});
  const std::string queue = ::choreo::testing::UniqueName("gw-placed");
  connection.DeclareQueue(amqp::QueueSpec{.name = queue, .durable = false, .exclusive = true, .auto_delete = true});
  connection.Bind(amqp::BindingSpec{.queue = queue, .exchange = "orders", .routing_key = "order.placed"});
  return std::make_unique<amqp::Consumer>(connection, amqp::ConsumerOptions{.queue = queue});
}

std::optional<amqp::Delivery> ReceivePlaced(amqp::Consumer& consumer, const std::string& order_id,
                                            std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto delivery = consumer.Next(std::chrono::milliseconds(500));
    if (!delivery) continue;
    consumer.Ack(*delivery);
    if (contracts::ParseAndValidate(delivery->message.body).correlation_id == order_id) return delivery;
  }
  return std::nullopt;
}

}  // namespace choreo::gateway::testing
