#include "choreo/topology/declare.hpp"

namespace choreo::topology {

namespace topo = contracts::topology;

namespace {

void DeclareExchanges(amqp::Connection& connection) {
  for (const topo::Exchange& exchange : topo::Exchanges()) {
    connection.DeclareExchange({.name = std::string(exchange.name), .type = std::string(exchange.type),
                                .durable = exchange.durable});
  }
}

void DeclareQueues(amqp::Connection& connection, const topo::WorkerTopology& component) {
  for (const topo::Queue& queue : component.AllQueues()) {
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

}  // namespace

void Declare(amqp::Connection& connection, const topo::WorkerTopology& component) {
  // Every exchange, not only the subscribed ones: the outbox publishes to the producer's
  // exchanges, and a mandatory publish to a missing exchange closes the channel.
  DeclareExchanges(connection);
  DeclareQueues(connection, component);
}

void DeclareAll(amqp::Connection& connection) {
  DeclareExchanges(connection);
  for (const topo::WorkerTopology& component : topo::Workers()) DeclareQueues(connection, component);
}

}  // namespace choreo::topology
