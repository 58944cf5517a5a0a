#include "declare.hpp"

namespace choreo::worker::detail {

namespace topo = contracts::topology;

void DeclareTopology(amqp::Connection& connection, const topo::WorkerTopology& topology) {
  // Every exchange, not only the subscribed ones: the outbox publishes to the producer's
  // exchanges, and a mandatory publish to a missing exchange closes the channel.
  for (const topo::Exchange& exchange : topo::Exchanges()) {
    connection.DeclareExchange({.name = std::string(exchange.name), .type = std::string(exchange.type),
                                .durable = exchange.durable});
  }
  for (const topo::Queue& queue : topology.AllQueues()) {
    amqp::QueueSpec spec;
    spec.name = queue.name;
    for (const auto& [key, value] : queue.arguments) {
      std::visit([&](const auto& v) { spec.extra_arguments.Set(key, amqp::FieldValue(v)); }, value);
    }
    connection.DeclareQueue(spec);
    for (const topo::Binding& binding : queue.bindings) {
      connection.Bind({.queue = queue.name, .exchange = binding.exchange, .routing_key = binding.routing_key});
    }
  }
}

}  // namespace choreo::worker::detail
