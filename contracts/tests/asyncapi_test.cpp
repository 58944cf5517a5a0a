// The build writes asyncapi.yaml from the catalog, the schemas and the topology
// (codegen/asyncapi_main.cpp); this reads it back with a parser of its own and checks it
// describes the same system, both ways: each comparison is between complete sets, so an
// extra entry on either side fails.
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "choreo/contracts/catalog.hpp"
#include "choreo/contracts/topology.hpp"
#include "test_support.hpp"

namespace choreo::contracts {
namespace {

namespace topo = topology;
using nlohmann::json;

const json& Document() {
  static const json document = ParseYamlSubset(TestFile("asyncapi.yaml"));
  return document;
}

std::string MessageRef(std::string_view type) { return "#/components/messages/" + std::string(type); }

// "$ref"s of an operation's message, whether one message or a oneOf.
std::set<std::string> MessageRefs(const json& operation) {
  const json& message = operation.at("message");
  std::set<std::string> refs;
  if (message.contains("oneOf")) {
    for (const auto& item : message.at("oneOf")) refs.insert(item.at("$ref").get<std::string>());
  } else {
    refs.insert(message.at("$ref").get<std::string>());
  }
  return refs;
}

std::set<std::pair<std::string, std::string>> BindingsOf(const json& channel) {
  std::set<std::pair<std::string, std::string>> bindings;
  for (const auto& binding : channel.at("x-choreo-bindings")) {
    bindings.emplace(binding.at("exchange").get<std::string>(), binding.at("routingKey").get<std::string>());
  }
  return bindings;
}

std::set<std::pair<std::string, std::string>> BindingsOf(const topo::Queue& queue) {
  std::set<std::pair<std::string, std::string>> bindings;
  for (const auto& binding : queue.bindings) bindings.emplace(binding.exchange, binding.routing_key);
  return bindings;
}

std::map<std::string, const json*> ChannelsWhere(std::string_view is) {
  std::map<std::string, const json*> channels;
  for (const auto& [name, channel] : Document().at("channels").items()) {
    if (channel.at("bindings").at("amqp").at("is") == is) channels[name] = &channel;
  }
  return channels;
}

TEST(AsyncApi, IsVersion26) { EXPECT_EQ(Document().at("asyncapi"), "2.6.0"); }

TEST(AsyncApi, ExchangesMatch) {
  std::set<std::tuple<std::string, std::string, bool>> yaml, cpp;
  for (const auto& exchange : Document().at("x-choreo-exchanges")) {
    yaml.emplace(exchange.at("name"), exchange.at("type"), exchange.at("durable"));
  }
  for (const auto& exchange : topo::Exchanges()) cpp.emplace(exchange.name, exchange.type, exchange.durable);
  EXPECT_EQ(yaml, cpp);
}

TEST(AsyncApi, EveryChannelIsARoutingKeyOrAQueue) {
  EXPECT_EQ(ChannelsWhere("routingKey").size() + ChannelsWhere("queue").size(), Document().at("channels").size());
}

TEST(AsyncApi, EventChannelsMatchTheCatalog) {
  const auto channels = ChannelsWhere("routingKey");
  std::set<std::string> yaml_types, cpp_types;
  for (const auto& [name, channel] : channels) yaml_types.insert(name);
  for (const auto& info : Events()) cpp_types.emplace(info.type);
  EXPECT_EQ(yaml_types, cpp_types);

  for (const auto& info : Events()) {
    SCOPED_TRACE(std::string(info.type));
    const auto found = channels.find(std::string(info.type));
    if (found == channels.end()) continue;
    const json& channel = *found->second;
    const json& exchange = channel.at("bindings").at("amqp").at("exchange");
    EXPECT_EQ(exchange.at("name"), info.exchange);
    EXPECT_EQ(exchange.at("type"), "topic");
    EXPECT_EQ(exchange.at("durable"), true);
    EXPECT_EQ(channel.at("subscribe").at("x-choreo-producer"), info.producer);
    EXPECT_EQ(MessageRefs(channel.at("subscribe")), std::set<std::string>{MessageRef(info.type)});
    const auto subscribers = channel.at("x-choreo-subscribers").get<std::set<std::string>>();
    const auto expected = topo::SubscribersOf(info.type);
    EXPECT_EQ(subscribers, std::set<std::string>(expected.begin(), expected.end()));
  }
}

TEST(AsyncApi, MessagesMatchTheCatalogAndTheSchemaFiles) {
  const json& messages = Document().at("components").at("messages");
  std::set<std::string> yaml_types, cpp_types;
  for (const auto& [name, message] : messages.items()) yaml_types.insert(name);
  for (const auto& info : Events()) cpp_types.emplace(info.type);
  EXPECT_EQ(yaml_types, cpp_types);

  for (const auto& info : Events()) {
    SCOPED_TRACE(std::string(info.type));
    if (!messages.contains(info.type)) continue;
    const json& message = messages.at(std::string(info.type));
    EXPECT_EQ(message.at("name"), info.type);
    EXPECT_EQ(message.at("contentType"), "application/json");
    EXPECT_EQ(message.at("x-choreo-version"), info.version);
    const std::string schema = testing::SchemaPath(info.type, info.version);
    EXPECT_EQ(message.at("payload").at("$ref"), "schemas/" + schema);
    EXPECT_TRUE(SchemaDocument(schema).has_value()) << "payload $ref points at no schema file";
  }
}

// Code generators and catalogues key messages by messageId; AsyncAPI 2 leaves it optional.
TEST(AsyncApi, EveryMessageHasItsTypeAsMessageId) {
  const json& messages = Document().at("components").at("messages");
  ASSERT_FALSE(messages.empty());
  std::set<std::string> ids;
  for (const auto& [name, message] : messages.items()) {
    ASSERT_TRUE(message.contains("messageId")) << name;
    EXPECT_EQ(message.at("messageId"), name);
    ids.insert(message.at("messageId").get<std::string>());
  }
  EXPECT_EQ(ids.size(), messages.size());
}

TEST(AsyncApi, QueuesMatchTheTopology) {
  const auto channels = ChannelsWhere("queue");
  std::set<std::string> yaml_queues, cpp_queues;
  for (const auto& [name, channel] : channels) {
    EXPECT_EQ(channel->at("bindings").at("amqp").at("queue").at("name"), name);
    EXPECT_EQ(channel->at("bindings").at("amqp").at("queue").at("durable"), true);
    yaml_queues.insert(name);
    for (const auto& retry : channel->value("x-choreo-retry-queues", json::array())) {
      yaml_queues.insert(retry.at("name").get<std::string>());
    }
    if (channel->contains("x-choreo-dead-letter-queue")) {
      yaml_queues.insert(channel->at("x-choreo-dead-letter-queue").get<std::string>());
    }
  }
  for (const auto& worker : topo::Workers()) {
    for (const auto& queue : worker.AllQueues()) cpp_queues.insert(queue.name);
  }
  EXPECT_EQ(yaml_queues, cpp_queues);

  for (const auto& worker : topo::Workers()) {
    SCOPED_TRACE(worker.worker);
    const auto found = channels.find(worker.work.name);
    ASSERT_NE(found, channels.end());
    const json& work = *found->second;
    EXPECT_EQ(work.at("x-choreo-role"), "work");
    EXPECT_EQ(work.at("x-choreo-worker"), worker.worker);
    EXPECT_EQ(BindingsOf(work), BindingsOf(worker.work));
    std::set<std::string> consumed;
    for (const auto& event : worker.events) consumed.insert(MessageRef(event));
    EXPECT_EQ(MessageRefs(work.at("publish")), consumed);
    EXPECT_EQ(work.at("x-choreo-dead-letter-queue"), worker.dead_letter.name);
    const json& retries = work.at("x-choreo-retry-queues");
    ASSERT_EQ(retries.size(), worker.retries.size());
    for (std::size_t i = 0; i < retries.size(); ++i) {
      EXPECT_EQ(retries[i].at("name"), worker.retries[i].name);
      EXPECT_EQ(retries[i].at("ttlMs"), worker.retries[i].ttl.count());
    }

    std::set<std::string> yaml_delays, cpp_delays;
    for (const auto& [name, channel] : channels) {
      if (channel->at("x-choreo-role") == "delay" && channel->at("x-choreo-worker") == worker.worker) {
        yaml_delays.insert(name);
      }
    }
    for (const auto& delay : worker.delays) {
      cpp_delays.insert(delay.name);
      const auto delay_channel = channels.find(delay.name);
      ASSERT_NE(delay_channel, channels.end());
      EXPECT_EQ(BindingsOf(*delay_channel->second), BindingsOf(delay));
      EXPECT_EQ(delay_channel->second->at("x-choreo-dead-letters-to"), worker.work.name);
    }
    EXPECT_EQ(yaml_delays, cpp_delays);
  }
}

// The reader itself: a test of the sync check is only as good as its parser.
TEST(YamlSubset, ReadsTheConstructsTheDocumentUses) {
  const json parsed = ParseYamlSubset(R"(# comment
top: 'quoted: # not a comment'
number: 42
flag: true
list: [a, 'b c', 3]
nested:
  deeper:
    key: value  # trailing comment
items:
  - name: one
    size: 1
  - plain
  -
    name: three
text: |
  line one
  line two
after: done
)");
  EXPECT_EQ(parsed.at("top"), "quoted: # not a comment");
  EXPECT_EQ(parsed.at("number"), 42);
  EXPECT_EQ(parsed.at("flag"), true);
  EXPECT_EQ(parsed.at("list"), json::parse(R"(["a", "b c", 3])"));
  EXPECT_EQ(parsed.at("nested").at("deeper").at("key"), "value");
  EXPECT_EQ(parsed.at("items"), json::parse(R"([{"name": "one", "size": 1}, "plain", {"name": "three"}])"));
  EXPECT_EQ(parsed.at("text"), "line one\nline two\n");
  EXPECT_EQ(parsed.at("after"), "done");
}

TEST(YamlSubset, RefusesWhatItDoesNotUnderstand) {
  // Flow mappings, anchors, tabs, repeated keys, a dedent to a level never opened.
  for (const char* yaml :
       {"a: {b: c}\n", "a: &anchor b\n", "a: b\n\tc: d\n", "a: b\na: c\n", "a:\n    b: c\n  d: e\n"}) {
    EXPECT_THROW(ParseYamlSubset(yaml), std::runtime_error) << yaml;
  }
}

}  // namespace
}  // namespace choreo::contracts
