// choreo-contracts-asyncapi <output.yaml>: writes the AsyncAPI document of the whole
// messaging topology at build time, from what the build knows: the event catalog and the
// schemas' descriptions (schemas/<type>/v<major>.json) and the topology (topology.cpp).
// Generated rather than written so that adding an event stays at its schema, its example
// and its subscribers; tests/asyncapi_test.cpp reads the result back with its own parser.
// The document keeps to the block-style YAML subset that parser reads.
#include <cctype>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "choreo/contracts/catalog.hpp"
#include "choreo/contracts/embedded.hpp"
#include "choreo/contracts/topology.hpp"

namespace {

using namespace choreo::contracts;

constexpr std::string_view kHead = R"(# AsyncAPI description of the whole choreo messaging topology.
#
# Generated at build time by choreo-contracts-asyncapi (contracts/codegen/asyncapi_main.cpp)
# from the event schemas (contracts/schemas) and the topology (contracts/src/topology.cpp).
# Do not edit: change those. Payload $refs are relative to this file: the build puts a copy
# of contracts/schemas beside it.
#
# AsyncAPI 2 operations are seen from the application's side: `subscribe` on an event
# channel = a component publishes it; `publish` on a queue channel = a worker consumes
# from that queue.
asyncapi: '2.6.0'
id: 'urn:choreo:events'
info:
  title: choreo events
  version: '1.0.0'
  description: |
    Event choreography of an order flow on RabbitMQ. One durable topic exchange per
    bounded context, routing key = event type. The AMQP body is the whole envelope
    (message_id, type, version, correlation_id, causation_id, producer, occurred_at,
    payload); each message's payload schema below describes that envelope.
    Every consuming component has one quorum work queue named after it, bound once per
    subscribed event, a dead-letter queue <queue>.dlq (bound to the direct exchange
    choreo.dlx) and retry queues <queue>.retry.<n> that dead-letter back to the work
    queue after their TTL.
defaultContentType: application/json
servers:
  local:
    url: 'amqp://localhost:5672'
    protocol: amqp
    protocolVersion: '0.9.1'
)";

constexpr std::string_view kTail = R"(  messageTraits:
    envelope:
      headers:
        type: object
        properties:
          x-choreo-version:
            type: string
            description: schema version of the payload, major.minor
          x-choreo-causation-id:
            type: string
            description: message id of the message that caused this one; empty for the first
          traceparent:
            type: string
            description: >-
              W3C Trace Context of the span that sent the message (the gateway's request,
              or the handling of the message that caused it); one trace per order
            pattern: '^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$'
      bindings:
        amqp:
          deliveryMode: 2
          bindingVersion: 0.2.0
  correlationIds:
    orderId:
      description: The order id; every message of one order carries it.
      location: '$message.payload#/correlation_id'
)";

std::string Quoted(std::string_view text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string SchemaPath(const EventInfo& info) {
  return std::string(info.type) + "/v" + std::string(info.version.substr(0, info.version.find('.'))) + ".json";
}

std::string Description(const EventInfo& info) {
  const auto text = SchemaDocument(SchemaPath(info));
  if (!text) throw std::runtime_error("no schema " + SchemaPath(info));
  return nlohmann::json::parse(*text).value("description", std::string(info.type));
}

// The first sentence of the schema's description.
std::string Summary(const EventInfo& info) {
  const std::string description = Description(info);
  const auto end = description.find(". ");
  return end == std::string::npos ? description : description.substr(0, end + 1);
}

// "order.placed" -> "OrderPlaced".
std::string Pascal(std::string_view name) {
  std::string out;
  bool upper = true;
  for (char c : name) {
    if (c == '.' || c == '_') {
      upper = true;
    } else {
      out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
      upper = false;
    }
  }
  return out;
}

std::string MessageRef(std::string_view type) { return "'#/components/messages/" + std::string(type) + "'"; }

std::string QueueBinding(const std::string& name) {
  return "    bindings:\n      amqp:\n        is: queue\n        queue:\n          name: " + name +
         "\n          durable: true\n          exclusive: false\n          autoDelete: false\n"
         "          vhost: /\n        bindingVersion: 0.2.0\n";
}

std::string Bindings(const topology::Queue& queue) {
  std::string out = "    x-choreo-bindings:\n";
  for (const auto& binding : queue.bindings) {
    out += "      - exchange: " + binding.exchange + "\n        routingKey: " + binding.routing_key + "\n";
  }
  return out;
}

void EventChannels(std::ostream& out) {
  for (const EventInfo& info : Events()) {
    std::string subscribers;
    for (const auto& worker : topology::SubscribersOf(info.type)) subscribers += (subscribers.empty() ? "" : ", ") + worker;
    out << "  " << info.type << ":\n    description: " << Quoted(Description(info)) << "\n"
        << "    bindings:\n      amqp:\n        is: routingKey\n        exchange:\n          name: " << info.exchange
        << "\n          type: topic\n          durable: true\n          autoDelete: false\n          vhost: /\n"
        << "        bindingVersion: 0.2.0\n"
        << "    subscribe:\n      operationId: publish" << Pascal(info.type) << "\n      x-choreo-producer: "
        << info.producer << "\n      message:\n        $ref: " << MessageRef(info.type) << "\n"
        << "    x-choreo-subscribers: [" << subscribers << "]\n";
  }
}

void QueueChannels(std::ostream& out) {
  for (const auto& worker : topology::Workers()) {
    out << "  " << worker.work.name << ":\n    description: " << Quoted("Work queue of the " + worker.worker + " component.")
        << "\n"
        << QueueBinding(worker.work.name) << "    publish:\n      operationId: " << worker.worker << "Consumes\n      message:\n";
    if (worker.events.size() == 1) {
      out << "        $ref: " << MessageRef(worker.events.front()) << "\n";
    } else {
      out << "        oneOf:\n";
      for (const auto& event : worker.events) out << "          - $ref: " << MessageRef(event) << "\n";
    }
    out << "    x-choreo-worker: " << worker.worker << "\n    x-choreo-role: work\n"
        << Bindings(worker.work) << "    x-choreo-dead-letter-queue: " << worker.dead_letter.name
        << "\n    x-choreo-retry-queues:\n";
    for (const auto& retry : worker.retries) {
      out << "      - name: " << retry.name << "\n        ttlMs: " << retry.ttl.count() << "\n";
    }
    for (const auto& delay : worker.delays) {
      out << "  " << delay.name << ":\n    description: "
          << Quoted("Holds " + delay.bindings.front().routing_key + " until its per-message expiration, then " +
                    "dead-letters it to the " + worker.worker + " work queue.")
          << "\n"
          << QueueBinding(delay.name) << "    x-choreo-worker: " << worker.worker << "\n    x-choreo-role: delay\n"
          << Bindings(delay) << "    x-choreo-dead-letters-to: " << worker.work.name << "\n";
    }
  }
}

void Messages(std::ostream& out) {
  out << "components:\n  messages:\n";
  for (const EventInfo& info : Events()) {
    out << "    " << info.type << ":\n      messageId: " << info.type << "\n      name: " << info.type
        << "\n      title: " << info.type << "\n      summary: " << Quoted(Summary(info)) << "\n"
        << "      contentType: application/json\n      schemaFormat: 'application/schema+json;version=draft-07'\n"
        << "      correlationId:\n        $ref: '#/components/correlationIds/orderId'\n"
        << "      traits:\n        - $ref: '#/components/messageTraits/envelope'\n"
        << "      payload:\n        $ref: " << Quoted("schemas/" + SchemaPath(info)) << "\n"
        << "      x-choreo-version: " << Quoted(info.version) << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: choreo-contracts-asyncapi <output.yaml>\n";
    return 2;
  }
  try {
    std::ostringstream out;
    out << kHead << "x-choreo-exchanges:\n";
    for (const auto& exchange : topology::Exchanges()) {
      out << "  - name: " << exchange.name << "\n    type: " << exchange.type
          << "\n    durable: " << (exchange.durable ? "true" : "false") << "\n";
    }
    out << "channels:\n";
    EventChannels(out);
    QueueChannels(out);
    Messages(out);
    out << kTail;
    std::ofstream file(argv[1], std::ios::binary | std::ios::trunc);
    file << out.str();
    if (!file) throw std::runtime_error(std::string("cannot write ") + argv[1]);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "choreo-contracts-asyncapi: " << e.what() << "\n";
    return 1;
  }
}
