// openapi.yaml and the code describe the same API, checked both ways: each comparison is
// between complete sets, so an extra entry on either side fails.
#include <algorithm>
#include <map>
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
      bool secured = documented.contains("security") && documented.at("security").size() == 1 &&
                     documented.at("security")[0].contains("bearerAuth");
      EXPECT_EQ(secured, operation.authenticated) << operation.method << " " << route.path_template;
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

TEST(OpenApi, TheExampleOrderIsValid) {
  const json& example = Document()
                            .at("paths")
                            .at("/orders")
                            .at("post")
                            .at("requestBody")
                            .at("content")
                            .at("application/json")
                            .at("example");
  auto result = ValidateOrderRequest(example);
  EXPECT_TRUE(result.Ok()) << (result.errors.empty() ? "" : result.errors.front().pointer + " " +
                                                                result.errors.front().message);
}

TEST(OpenApi, IdempotencyKeyLimitMatches) {
  const json& parameters = Document().at("paths").at("/orders").at("post").at("parameters");
  ASSERT_EQ(parameters.size(), 1u);
  EXPECT_EQ(parameters[0].at("name"), "Idempotency-Key");
  EXPECT_EQ(parameters[0].at("schema").at("maxLength"), kMaxIdempotencyKeyLength);
}

}  // namespace
}  // namespace choreo::gateway
