#include <gtest/gtest.h>

#include "choreo/gateway/validation.hpp"

namespace choreo::gateway {
namespace {

using nlohmann::json;

json ValidOrder() {
  return json::parse(R"({"customer_id": "cust-42", "lines": [{"sku": "sku-001", "quantity": 2}],
    "payment": {"method": "card", "token": "tok_ok"},
    "shipping_address": {"name": "Ada Lovelace", "line1": "1 Main St", "city": "Berlin",
                         "postal_code": "10115", "country": "DE"}})");
}

// The pointers of all reported errors.
std::vector<std::string> Pointers(const json& body) {
  std::vector<std::string> out;
  for (const auto& error : ValidateOrderRequest(body).errors) out.push_back(error.pointer);
  return out;
}

std::string OnlyMessage(const json& body) {
  auto result = ValidateOrderRequest(body);
  EXPECT_EQ(result.errors.size(), 1u) << body.dump();
  return result.errors.empty() ? "" : result.errors.front().message;
}

TEST(ValidateOrderRequest, AcceptsTheDocumentedExample) {
  auto result = ValidateOrderRequest(ValidOrder());
  ASSERT_TRUE(result.Ok()) << result.errors.front().pointer << " " << result.errors.front().message;
  ASSERT_TRUE(result.order);
  EXPECT_EQ(result.order->customer_id, "cust-42");
  ASSERT_EQ(result.order->lines.size(), 1u);
  EXPECT_EQ(result.order->lines[0].sku, "sku-001");
  EXPECT_EQ(result.order->lines[0].quantity, 2);
  EXPECT_EQ(result.order->payment.method, contracts::PaymentMethod::kCard);
  EXPECT_EQ(result.order->shipping_address.country, "DE");
  EXPECT_FALSE(result.order->shipping_address.line2);
}

TEST(ValidateOrderRequest, AcceptsOptionalLine2AndUnicodeNames) {
  json body = ValidOrder();
  body["shipping_address"]["line2"] = "Hinterhaus, 3. OG";
  body["shipping_address"]["name"] = "Zoë Ölmüller";
  auto result = ValidateOrderRequest(body);
  ASSERT_TRUE(result.Ok());
  EXPECT_EQ(result.order->shipping_address.line2, "Hinterhaus, 3. OG");
}

TEST(ValidateOrderRequest, BodyMustBeAnObject) {
  EXPECT_EQ(Pointers(json::array()), std::vector<std::string>{""});
  EXPECT_EQ(Pointers(json("text")), std::vector<std::string>{""});
}

TEST(ValidateOrderRequest, ReportsEveryMissingField) {
  EXPECT_EQ(Pointers(json::object()),
            (std::vector<std::string>{"/customer_id", "/lines", "/payment", "/shipping_address"}));
}

TEST(ValidateOrderRequest, RefusesUnknownTopLevelFields) {
  json body = ValidOrder();
  body["coupon"] = "FREE";
  EXPECT_EQ(Pointers(body), std::vector<std::string>{"/coupon"});
  EXPECT_NE(OnlyMessage(body).find("unknown field 'coupon'"), std::string::npos);
}

TEST(ValidateOrderRequest, RefusesPricesWithAMessageOfTheirOwn) {
  json body = ValidOrder();
  body["lines"][0]["unit_price"] = 100;
  EXPECT_EQ(Pointers(body), std::vector<std::string>{"/lines/0/unit_price"});
  EXPECT_NE(OnlyMessage(body).find("prices are not accepted"), std::string::npos);
}

TEST(ValidateOrderRequest, ChecksTypes) {
  json body = ValidOrder();
  body["customer_id"] = 42;
  body["lines"][0]["quantity"] = "2";
  body["payment"] = "card";
  EXPECT_EQ(Pointers(body), (std::vector<std::string>{"/customer_id", "/lines/0/quantity", "/payment"}));
  body = ValidOrder();
  body["lines"][0]["quantity"] = 2.0;  // money-like floats are never integers
  EXPECT_NE(OnlyMessage(body).find("got a decimal number"), std::string::npos);
  body["lines"][0]["quantity"] = true;
  EXPECT_NE(OnlyMessage(body).find("got a boolean"), std::string::npos);
}

TEST(ValidateOrderRequest, LinesCountIsOneToHundred) {
  json body = ValidOrder();
  body["lines"] = json::array();
  EXPECT_EQ(Pointers(body), std::vector<std::string>{"/lines"});
  json lines = json::array();
  for (int i = 0; i < 100; ++i) lines.push_back({{"sku", "sku-" + std::to_string(i)}, {"quantity", 1}});
  body["lines"] = lines;
  EXPECT_TRUE(ValidateOrderRequest(body).Ok());
  lines.push_back({{"sku", "sku-x"}, {"quantity", 1}});
  body["lines"] = lines;
  EXPECT_EQ(Pointers(body), std::vector<std::string>{"/lines"});
  EXPECT_NE(OnlyMessage(body).find("got 101"), std::string::npos);
}

TEST(ValidateOrderRequest, QuantityIsOneToTenThousand) {
  for (json quantity : {json(0), json(-1), json(10001), json(18446744073709551615ull), json(-9223372036854775807ll)}) {
    json body = ValidOrder();
    body["lines"][0]["quantity"] = quantity;
    EXPECT_EQ(Pointers(body), std::vector<std::string>{"/lines/0/quantity"}) << quantity;
  }
  for (json quantity : {json(1), json(10000)}) {
    json body = ValidOrder();
    body["lines"][0]["quantity"] = quantity;
    EXPECT_TRUE(ValidateOrderRequest(body).Ok()) << quantity;
  }
}

TEST(ValidateOrderRequest, SkuLengthAndCharset) {
  json body = ValidOrder();
  body["lines"][0]["sku"] = std::string(64, 'a');
  EXPECT_TRUE(ValidateOrderRequest(body).Ok());
  for (std::string sku : {std::string(), std::string(65, 'a'), std::string("sku 1"), std::string("sku/1"),
                          std::string("sk\xc3\xbc")}) {
    body["lines"][0]["sku"] = sku;
    EXPECT_EQ(Pointers(body), std::vector<std::string>{"/lines/0/sku"}) << sku;
  }
}

TEST(ValidateOrderRequest, DuplicateSkusAreRefused) {
  json body = ValidOrder();
  body["lines"].push_back({{"sku", "sku-001"}, {"quantity", 1}});
  EXPECT_EQ(Pointers(body), std::vector<std::string>{"/lines/1/sku"});
}

TEST(ValidateOrderRequest, CustomerIdLengthAndCharset) {
  json body = ValidOrder();
  body["customer_id"] = "tenant:cust_42.a-b";
  EXPECT_TRUE(ValidateOrderRequest(body).Ok());
  for (std::string id : {std::string(), std::string(129, 'c'), std::string("cust 42"), std::string("<script>")}) {
    body["customer_id"] = id;
    EXPECT_EQ(Pointers(body), std::vector<std::string>{"/customer_id"}) << id;
  }
}

TEST(ValidateOrderRequest, Payment) {
  json body = ValidOrder();
  body["payment"]["method"] = "wallet";
  EXPECT_TRUE(ValidateOrderRequest(body).Ok());
  body["payment"]["method"] = "cash";
  EXPECT_NE(OnlyMessage(body).find("card | wallet"), std::string::npos);
  body = ValidOrder();
  for (std::string token : {std::string(), std::string("tok ok"), std::string(257, 't'), std::string("tok\n")}) {
    body["payment"]["token"] = token;
    EXPECT_EQ(Pointers(body), std::vector<std::string>{"/payment/token"}) << token;
  }
}

TEST(ValidateOrderRequest, Country) {
  json body = ValidOrder();
  for (std::string country : {"US", "GB", "JP", "ZW"}) {
    body["shipping_address"]["country"] = country;
    EXPECT_TRUE(ValidateOrderRequest(body).Ok()) << country;
  }
  body["shipping_address"]["country"] = "de";
  EXPECT_NE(OnlyMessage(body).find("use 'DE'"), std::string::npos);
  for (std::string country : {"XX", "DEU", "D", "", "UK"}) {
    body["shipping_address"]["country"] = country;
    EXPECT_EQ(Pointers(body), std::vector<std::string>{"/shipping_address/country"}) << country;
  }
}

TEST(ValidateOrderRequest, AddressText) {
  json body = ValidOrder();
  body["shipping_address"]["name"] = "   ";
  EXPECT_EQ(Pointers(body), std::vector<std::string>{"/shipping_address/name"});
  body["shipping_address"]["name"] = "Ada\nLovelace";
  EXPECT_EQ(Pointers(body), std::vector<std::string>{"/shipping_address/name"});
  // 200 code points of two bytes each are fine: limits count characters, not bytes.
  std::string long_name;
  for (int i = 0; i < 200; ++i) long_name += "\xc3\xa4";
  body["shipping_address"]["name"] = long_name;
  EXPECT_TRUE(ValidateOrderRequest(body).Ok());
  body["shipping_address"]["name"] = long_name + "a";
  EXPECT_EQ(Pointers(body), std::vector<std::string>{"/shipping_address/name"});
  body = ValidOrder();
  body["shipping_address"]["postal_code"] = "10115;DROP";
  EXPECT_EQ(Pointers(body), std::vector<std::string>{"/shipping_address/postal_code"});
  body = ValidOrder();
  body["shipping_address"]["line2"] = nullptr;
  EXPECT_EQ(Pointers(body), std::vector<std::string>{"/shipping_address/line2"});
  body = ValidOrder();
  body["shipping_address"]["street"] = "x";
  EXPECT_EQ(Pointers(body), std::vector<std::string>{"/shipping_address/street"});
}

TEST(ValidateOrderRequest, ErrorListIsBounded) {
  json body = ValidOrder();
  for (int i = 0; i < 500; ++i) body["x" + std::to_string(i)] = i;
  auto result = ValidateOrderRequest(body);
  EXPECT_LE(result.errors.size(), 51u);
}

TEST(ValidateOrderRequest, EchoedValuesAreCut) {
  json body = ValidOrder();
  body["shipping_address"]["country"] = std::string(5000, 'Q');
  EXPECT_LT(OnlyMessage(body).size(), 200u);
}

TEST(ParseJsonBody, ExplainsMalformedJson) {
  try {
    ParseJsonBody(R"({"customer_id": )");
    FAIL();
  } catch (const std::invalid_argument& error) {
    std::string message = error.what();
    EXPECT_EQ(message.rfind("malformed JSON: parse error", 0), 0u) << message;
    EXPECT_EQ(message.find("[json.exception"), std::string::npos) << message;
  }
  EXPECT_THROW(ParseJsonBody(""), std::invalid_argument);
  EXPECT_THROW(ParseJsonBody("{} {}"), std::invalid_argument);
  EXPECT_THROW(ParseJsonBody("{\"a\": \"\xff\"}"), std::invalid_argument);  // not UTF-8
}

TEST(ParseJsonBody, RefusesDeepNesting) {
  std::string deep(kMaxJsonDepth + 5, '[');
  deep += std::string(kMaxJsonDepth + 5, ']');
  EXPECT_THROW(ParseJsonBody(deep), std::invalid_argument);
  std::string ok(4, '[');
  ok += std::string(4, ']');
  EXPECT_NO_THROW(ParseJsonBody(ok));
}

TEST(IsCountryCode, KnowsAssignedCodesOnly) {
  EXPECT_TRUE(IsCountryCode("DE"));
  EXPECT_TRUE(IsCountryCode("AX"));
  EXPECT_FALSE(IsCountryCode("de"));
  EXPECT_FALSE(IsCountryCode("EU"));
  EXPECT_FALSE(IsCountryCode(""));
}

}  // namespace
}  // namespace choreo::gateway
