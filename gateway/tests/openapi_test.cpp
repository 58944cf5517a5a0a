// openapi.yaml and the code describe the same API, checked both ways: each comparison is
// between complete sets, so an extra entry on either side fails.
#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include <gtest/gtest.h>

#include "choreo/gateway/idempotency.hpp"
#include "choreo/gateway/openapi.hpp"
#include "choreo/gateway/routes.hpp"
#include "choreo/gateway/validation.hpp"
#include "yaml_subset.hpp"

namespace choreo::gateway {
namespace {

using nlohmann::json;

const json& Document() {
  static const json document = contracts::ParseYamlSubset(OpenApiDocument());
  return document;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

const json& Schema(const std::string& name) { return Document().at("components").at("schemas").at(name); }

TEST(OpenApi, IsEmbeddedAndParses) {
  ASSERT_FALSE(OpenApiDocument().empty());
  EXPECT_EQ(Document().at("openapi"), "3.1.0");
}

TEST(OpenApi, PathsAreExactlyTheRoutes) {
  std::set<std::string> documented, routed;
  for (const auto& [path, item] : Document().at("paths").items()) documented.insert(path);
  for (const auto& route : Routes()) routed.insert(std::string(route.path_template));
  EXPECT_EQ(documented, routed);
}

TEST(OpenApi, MethodsStatusesAndSecurityMatchEachRoute) {
  const json& paths = Document().at("paths");
  for (const auto& route : Routes()) {
    const json& item = paths.at(std::string(route.path_template));
    std::set<std::string> documented_methods, routed_methods;
    for (const auto& [method, operation] : item.items()) documented_methods.insert(method);
    for (const auto& operation : route.operations) {
      std::string method = Lower(operation.method);
      routed_methods.insert(method);
      if (!item.contains(method)) continue;
      const json& documented = item.at(method);
      std::set<int> statuses;
      for (const auto& [status, response] : documented.at("responses").items()) statuses.insert(std::stoi(status));
      EXPECT_EQ(statuses, std::set<int>(operation.statuses.begin(), operation.statuses.end()))
          << operation.method << " " << route.path_template;
      // Said either way (open operations with `security: []`), so a reader and a linter
      // never have to guess from a missing key.
      ASSERT_TRUE(documented.contains("security")) << operation.method << " " << route.path_template;
      const json& security = documented.at("security");
      EXPECT_EQ(security.size() == 1 && security[0].contains("bearerAuth"), operation.authenticated)
          << operation.method << " " << route.path_template;
      EXPECT_EQ(security.empty(), !operation.authenticated) << operation.method << " " << route.path_template;
      EXPECT_EQ(std::find(operation.statuses.begin(), operation.statuses.end(), 401) != operation.statuses.end(),
                operation.authenticated)
          << "401 is answered exactly where auth applies: " << route.path_template;
    }
    EXPECT_EQ(documented_methods, routed_methods) << route.path_template;
  }
}

TEST(OpenApi, OrderRequestSchemaMatchesTheValidator) {
  const json& order = Schema("OrderRequest");
  std::set<std::string> properties;
  for (const auto& [name, schema] : order.at("properties").items()) properties.insert(name);
  auto fields = OrderRequestFields();
  EXPECT_EQ(properties, std::set<std::string>(fields.begin(), fields.end()));
  EXPECT_EQ(order.at("required").get<std::set<std::string>>(), std::set<std::string>(fields.begin(), fields.end()));
  EXPECT_EQ(order.at("additionalProperties"), false);
  EXPECT_EQ(order.at("properties").at("customer_id").at("maxLength"), kMaxCustomerIdLength);
  const json& lines = order.at("properties").at("lines");
  EXPECT_EQ(lines.at("minItems"), kMinLines);
  EXPECT_EQ(lines.at("maxItems"), kMaxLines);

  const json& line = Schema("OrderLine");
  EXPECT_EQ(line.at("additionalProperties"), false);
  EXPECT_EQ(line.at("properties").at("quantity").at("minimum"), kMinQuantity);
  EXPECT_EQ(line.at("properties").at("quantity").at("maximum"), kMaxQuantity);
  EXPECT_EQ(line.at("properties").at("sku").at("maxLength"), kMaxSkuLength);

  const json& payment = Schema("Payment");
  EXPECT_EQ(payment.at("properties").at("token").at("maxLength"), kMaxTokenLength);
  EXPECT_EQ(payment.at("properties").at("method").at("enum"), json({"card", "wallet"}));

  const json& address = Schema("Address").at("properties");
  EXPECT_EQ(address.at("name").at("maxLength"), kMaxNameLength);
  EXPECT_EQ(address.at("line1").at("maxLength"), kMaxNameLength);
  EXPECT_EQ(address.at("line2").at("maxLength"), kMaxNameLength);
  EXPECT_EQ(address.at("city").at("maxLength"), kMaxCityLength);
  EXPECT_EQ(address.at("postal_code").at("maxLength"), kMaxPostalCodeLength);
  EXPECT_EQ(Schema("Address").at("required").get<std::set<std::string>>(),
            (std::set<std::string>{"name", "line1", "city", "postal_code", "country"}));
}

const json& ExampleOrder() {
  return Document().at("paths").at("/orders").at("post").at("requestBody").at("content").at("application/json").at(
      "example");
}

TEST(OpenApi, TheExampleOrderIsValid) {
  auto result = ValidateOrderRequest(ExampleOrder());
  EXPECT_TRUE(result.Ok()) << (result.errors.empty() ? "" : result.errors.front().pointer + " " +
                                                                result.errors.front().message);
}

std::size_t CodePoints(const std::string& text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// What the schema of a string says about `value`: minLength, maxLength (in code points) and
// pattern (unanchored, as in JSON Schema). std::regex reads UTF-8 byte by byte, which for
// these patterns (classes of ASCII characters, negated or not) decides as code points would.
bool SchemaAccepts(const json& schema, const std::string& value) {
  const std::size_t length = CodePoints(value);
  if (schema.contains("minLength") && length < schema.at("minLength").get<std::size_t>()) return false;
  if (schema.contains("maxLength") && length > schema.at("maxLength").get<std::size_t>()) return false;
  if (!schema.contains("pattern")) return true;
  return std::regex_search(value, std::regex(schema.at("pattern").get<std::string>(), std::regex::ECMAScript));
}

// Whether the validator reports a problem at `pointer` once the example order holds `value` there.
bool ValidatorRefuses(const std::string& pointer, const std::string& value) {
  json order = ExampleOrder();
  order[json::json_pointer(pointer)] = value;
  const auto errors = ValidateOrderRequest(order).errors;
  return std::any_of(errors.begin(), errors.end(), [&](const FieldError& e) { return e.pointer == pointer; });
}

// Each string field of an order against the validator, on values at the edges of its rules
// (blank, control characters, non-ASCII, lengths). What the schema refuses, the validator
// must refuse (the document never promises a rule the code does not keep); where the schema
// states the whole rule (`exact`), what it accepts must pass too.
TEST(OpenApi, StringFieldSchemasAgreeWithTheValidator) {
  struct Field {
    std::string pointer;
    const json& schema;
    bool exact;
  };
  const json& address = Schema("Address").at("properties");
  const std::vector<Field> fields{
      {"/customer_id", Schema("OrderRequest").at("properties").at("customer_id"), true},
      {"/lines/0/sku", Schema("OrderLine").at("properties").at("sku"), true},
      {"/payment/token", Schema("Payment").at("properties").at("token"), true},
      {"/shipping_address/name", address.at("name"), true},
      {"/shipping_address/line1", address.at("line1"), true},
      {"/shipping_address/line2", address.at("line2"), true},
      {"/shipping_address/city", address.at("city"), true},
      {"/shipping_address/postal_code", address.at("postal_code"), true},
      // The pattern says two capital letters; the validator also wants an assigned code.
      {"/shipping_address/country", address.at("country"), false},
  };
  std::vector<std::string> values{"", " ", "   ", "a", " a ", "A1", "a b", "a-b.c_d:e", "a\tb", "a\nb", "a\x7F",
                                  "\x01", "tok_ok", "10115", " 1 2 ", "-", "DE", "ZZ", "de", "Zo\xC3\xAB",
                                  "\xC2\xA0", "\xE2\x80\xA8", "\xC2\x85", "a!~", "a'b"};
  // Lengths at each limit, in ASCII and in a two-byte character (the limits count code points).
  for (std::size_t length : {20, 21, 64, 65, 100, 101, 128, 129, 200, 201, 256, 257}) {
    values.push_back(std::string(length, 'x'));
    std::string wide;
    for (std::size_t i = 0; i < length; ++i) wide += "\xC3\xBC";
    values.push_back(wide);
  }
  for (const auto& field : fields) {
    for (const auto& value : values) {
      const bool schema_accepts = SchemaAccepts(field.schema, value);
      const bool code_refuses = ValidatorRefuses(field.pointer, value);
      SCOPED_TRACE(field.pointer + " = '" + value + "'");
      if (!schema_accepts) {
        EXPECT_TRUE(code_refuses) << "the schema refuses what the validator accepts";
      } else if (field.exact) {
        EXPECT_FALSE(code_refuses) << "the validator refuses what the schema accepts";
      }
    }
  }
}

// Header and path values at the edges of the code's rules.
std::vector<std::string> EdgeValues() {
  return {"", " ", "a", "a b", "a:b.c_d-e", "~!", "a\x1F", "a\x7F", "Zo\xC3\xAB", "a/b",
          std::string(128, 'x'), std::string(129, 'x'), std::string(255, 'x'), std::string(256, 'x')};
}

TEST(OpenApi, IdempotencyKeyLimitMatches) {
  const json& parameters = Document().at("paths").at("/orders").at("post").at("parameters");
  ASSERT_EQ(parameters.size(), 2u);
  EXPECT_EQ(parameters[0].at("name"), "Idempotency-Key");
  // The other is the trace context, which the gateway never refuses (it starts a trace).
  EXPECT_EQ(parameters[1].at("name"), "traceparent");
  EXPECT_FALSE(parameters[1].at("schema").contains("pattern"));
  const json& schema = parameters[0].at("schema");
  EXPECT_EQ(schema.at("maxLength"), kMaxIdempotencyKeyLength);
  for (const auto& key : EdgeValues()) EXPECT_EQ(SchemaAccepts(schema, key), IsValidIdempotencyKey(key)) << key;
}

// The path's schema is the form of the ids the gateway looks up (others are answered 404).
TEST(OpenApi, OrderIdSchemaMatchesTheIdsLookedUp) {
  const json& parameters = Document().at("paths").at("/orders/{id}").at("get").at("parameters");
  ASSERT_EQ(parameters.size(), 1u);
  const json& schema = parameters[0].at("schema");
  for (const auto& id : EdgeValues()) EXPECT_EQ(SchemaAccepts(schema, id), IsPlausibleOrderId(id)) << id;
}

}  // namespace
}  // namespace choreo::gateway
