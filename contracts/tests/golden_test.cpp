// The golden examples, the JSON Schemas and the C++ structs describe the same messages.
#include <set>

#include <gtest/gtest.h>

#include "choreo/contracts/catalog.hpp"
#include "choreo/contracts/events.hpp"
#include "choreo/contracts/validation.hpp"
#include "test_support.hpp"

namespace choreo::contracts {
namespace {

using testing::Example;
using testing::ForEachEvent;
using testing::Schema;

template <class E>
std::set<std::string> FieldNames(bool required_only) {
  std::set<std::string> names;
  std::apply(
      [&](const auto&... field) {
        (
            [&] {
              using M = std::remove_cvref_t<decltype(std::declval<E>().*(field.member))>;
              if (!required_only || !detail::IsOptional<M>::value) names.emplace(field.name);
            }(),
            ...);
      },
      E::Fields());
  return names;
}

std::set<std::string> Keys(const nlohmann::json& object) {
  std::set<std::string> keys;
  for (const auto& [key, value] : object.items()) keys.insert(key);
  return keys;
}

TEST(Golden, EveryExampleValidatesAndRoundTrips) {
  ForEachEvent([]<class E>() {
    SCOPED_TRACE(std::string(E::kType));
    const nlohmann::json example = Example(E::kType, E::kVersion);
    const Envelope envelope = ParseAndValidate(example.dump());
    EXPECT_EQ(envelope.type, E::kType);
    EXPECT_EQ(envelope.version, E::kVersion);
    EXPECT_EQ(envelope.producer, E::kProducer);

    const E event = PayloadAs<E>(envelope);
    EXPECT_EQ(nlohmann::json(event), example.at("payload")) << "struct loses or changes fields";
    EXPECT_EQ(nlohmann::json(envelope), example);

    // And what we write, we read.
    const Envelope rewrapped = MakeEnvelope(event, envelope);
    EXPECT_EQ(PayloadAs<E>(ParseAndValidate(Serialize(rewrapped))), event);
  });
}

TEST(Golden, ExamplesUseEveryField) {
  // An example that omits an optional field would not prove that field round-trips.
  ForEachEvent([]<class E>() {
    SCOPED_TRACE(std::string(E::kType));
    EXPECT_EQ(Keys(Example(E::kType, E::kVersion).at("payload")), FieldNames<E>(false));
  });
}

TEST(Golden, SchemaAndStructAgreeOnFields) {
  ForEachEvent([]<class E>() {
    SCOPED_TRACE(std::string(E::kType));
    const nlohmann::json payload = Schema(E::kType, E::kVersion).at("properties").at("payload");
    EXPECT_EQ(Keys(payload.at("properties")), FieldNames<E>(false));
    const auto required = payload.at("required").get<std::set<std::string>>();
    EXPECT_EQ(required, FieldNames<E>(true)) << "schema 'required' must list exactly the non-optional fields";
  });
}

TEST(Golden, SchemaPinsTypeAndMajorVersion) {
  ForEachEvent([]<class E>() {
    SCOPED_TRACE(std::string(E::kType));
    const nlohmann::json schema = Schema(E::kType, E::kVersion);
    EXPECT_EQ(schema.at("properties").at("type").at("const"), E::kType);
    EXPECT_EQ(schema.at("properties").at("version").at("pattern"),
              "^" + testing::MajorOf(E::kVersion) + "\\.[0-9]+$");
    EXPECT_FALSE(schema.contains("additionalProperties"));
    EXPECT_FALSE(schema.at("properties").at("payload").contains("additionalProperties"));
  });
}

// Tolerant reader: a closed object would turn every added field into a rejected message.
void ExpectOpen(const nlohmann::json& node, const std::string& where) {
  if (node.is_object()) {
    const auto closed = node.find("additionalProperties");
    EXPECT_FALSE(closed != node.end() && *closed == false) << where;
    for (const auto& [key, child] : node.items()) ExpectOpen(child, where + "/" + key);
  } else if (node.is_array()) {
    for (std::size_t i = 0; i < node.size(); ++i) ExpectOpen(node[i], where + "/" + std::to_string(i));
  }
}

TEST(Golden, NoSchemaForbidsUnknownFields) {
  for (const auto& file : EmbeddedSchemaFiles()) ExpectOpen(nlohmann::json::parse(file.content), std::string(file.path));
}

TEST(Golden, CatalogSchemasAndExamplesMatchOneToOne) {
  std::set<std::string> from_catalog;
  for (const auto& info : Events()) {
    from_catalog.insert(testing::SchemaPath(info.type, info.version));
    EXPECT_NO_THROW(TestFile(testing::ExamplePath(info.type, info.version))) << info.type;
    EXPECT_EQ(SupportedMajors(info.type), std::vector<int>{1}) << info.type;
  }
  std::set<std::string> embedded;
  for (const auto& file : EmbeddedSchemaFiles()) {
    if (!std::string_view(file.path).starts_with("common/")) embedded.insert(std::string(file.path));
  }
  EXPECT_EQ(embedded, from_catalog);
  std::size_t examples = 0;
  for (const auto& file : EmbeddedTestFiles()) examples += file.path.starts_with("examples/") ? 1 : 0;
  EXPECT_EQ(examples, Events().size());
}

TEST(Golden, MoneyFieldsAreIntegersInStructsAndSchemas) {
  ForEachEvent([]<class E>() {
    SCOPED_TRACE(std::string(E::kType));
    const nlohmann::json properties = Schema(E::kType, E::kVersion).at("properties").at("payload").at("properties");
    std::apply(
        [&](const auto&... field) {
          (
              [&] {
                using M = std::remove_cvref_t<decltype(std::declval<E>().*(field.member))>;
                if (std::string_view(field.name).ends_with("_minor")) {
                  static_assert(!std::is_floating_point_v<M>);
                  EXPECT_TRUE((std::is_same_v<M, std::int64_t> || std::is_same_v<M, std::optional<std::int64_t>>))
                      << field.name;
                  EXPECT_EQ(properties.at(std::string(field.name)).at("$ref"),
                            "../common/v1.json#/definitions/amount_minor")
                      << field.name;
                }
                if (std::string_view(field.name) == "currency") {
                  EXPECT_EQ(properties.at("currency").at("$ref"), "../common/v1.json#/definitions/currency");
                }
              }(),
              ...);
        },
        E::Fields());
  });
  const auto common = nlohmann::json::parse(*SchemaDocument("common/v1.json"));
  EXPECT_EQ(common.at("definitions").at("amount_minor").at("type"), "integer");
  EXPECT_EQ(common.at("definitions").at("priced_line").at("properties").at("unit_price_minor").at("$ref"),
            "#/definitions/amount_minor");
}

TEST(Golden, EnumNamesMatchTheSchemas) {
  const auto common = nlohmann::json::parse(*SchemaDocument("common/v1.json"));
  auto names = []<class E>() {
    std::vector<std::string> out;
    for (const auto& [value, name] : EnumNames<E>::kNames) out.emplace_back(name);
    return out;
  };
  const auto& definitions = common.at("definitions");
  EXPECT_EQ(definitions.at("order_status").at("enum"), names.operator()<OrderStatus>());
  EXPECT_EQ(definitions.at("cancel_reason").at("enum"), names.operator()<CancelReason>());
  EXPECT_EQ(definitions.at("payment").at("properties").at("method").at("enum"), names.operator()<PaymentMethod>());
  auto payload_enum = [](std::string_view type, const char* field) {
    return Schema(type).at("properties").at("payload").at("properties").at(field).at("enum");
  };
  EXPECT_EQ(payload_enum("inventory.rejected", "reason"), names.operator()<RejectionReason>());
  EXPECT_EQ(payload_enum("inventory.released", "reason"), names.operator()<ReleaseReason>());
  EXPECT_EQ(payload_enum("payment.refunded", "reason"), names.operator()<RefundReason>());
  EXPECT_EQ(payload_enum("shipment.rejected", "reason"), names.operator()<ShipmentRejectionReason>());
  EXPECT_EQ(payload_enum("notification.sent", "kind"), names.operator()<NotificationKind>());
}

}  // namespace
}  // namespace choreo::contracts
