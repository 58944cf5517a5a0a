#include <gtest/gtest.h>

#include "choreo/contracts/events.hpp"
#include "choreo/contracts/validation.hpp"
#include "test_support.hpp"

namespace choreo::contracts {
namespace {

using testing::Example;

// Parses `body` expecting a ContractError of `kind` at `path`.
void ExpectRejected(const std::string& body, ErrorKind kind, const std::string& path) {
  try {
    ParseAndValidate(body);
    ADD_FAILURE() << "accepted: " << body;
  } catch (const ContractError& e) {
    EXPECT_EQ(e.Kind(), kind) << e.what();
    EXPECT_EQ(e.Path(), path) << e.what();
    EXPECT_TRUE(e.IsPermanent());
    if (!path.empty()) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << "message should name the field: " << e.what();
    }
  }
}

void ExpectRejected(const nlohmann::json& message, ErrorKind kind, const std::string& path) {
  ExpectRejected(message.dump(), kind, path);
}

TEST(Validation, RejectsWhatIsNotJson) {
  ExpectRejected(std::string("{\"type\": \"order.placed\","), ErrorKind::kNotJson, "");
  ExpectRejected(std::string(""), ErrorKind::kNotJson, "");
  ExpectRejected(std::string("\x01\x02garbage"), ErrorKind::kNotJson, "");
}

TEST(Validation, RejectsWhatIsNotAnObject) {
  ExpectRejected(std::string("[1, 2]"), ErrorKind::kNotObject, "");
  ExpectRejected(std::string("\"order.placed\""), ErrorKind::kNotObject, "");
  ExpectRejected(std::string("null"), ErrorKind::kNotObject, "");
}

TEST(Validation, RejectsMissingEnvelopeFields) {
  for (const char* field : {"message_id", "type", "version", "correlation_id", "producer", "occurred_at", "payload"}) {
    auto message = Example("order.placed");
    message.erase(field);
    ExpectRejected(message, ErrorKind::kMissingField, std::string("/") + field);
  }
}

TEST(Validation, RejectsMissingPayloadFields) {
  auto message = Example("inventory.reserved");
  message["payload"].erase("total_minor");
  ExpectRejected(message, ErrorKind::kMissingField, "/payload/total_minor");

  message = Example("order.placed");
  message["payload"]["shipping_address"].erase("country");
  ExpectRejected(message, ErrorKind::kMissingField, "/payload/shipping_address/country");

  message = Example("order.placed");
  message["payload"]["lines"][1].erase("sku");
  ExpectRejected(message, ErrorKind::kMissingField, "/payload/lines/1/sku");
}

TEST(Validation, RejectsWrongTypes) {
  auto message = Example("order.placed");
  message["payload"]["lines"][0]["quantity"] = "2";
  ExpectRejected(message, ErrorKind::kWrongType, "/payload/lines/0/quantity");

  message = Example("order.placed");
  message["payload"]["lines"] = nlohmann::json::object();
  ExpectRejected(message, ErrorKind::kWrongType, "/payload/lines");

  message = Example("payment.captured");
  message["message_id"] = 42;
  ExpectRejected(message, ErrorKind::kWrongType, "/message_id");

  message = Example("payment.captured");
  message["version"] = 1.0;
  ExpectRejected(message, ErrorKind::kWrongType, "/version");
}

TEST(Validation, RejectsUnknownEnumValues) {
  const std::pair<const char*, const char*> cases[] = {
      {"inventory.rejected", "reason"},   {"inventory.released", "reason"}, {"order.cancelled", "reason"},
      {"payment.refunded", "reason"},     {"shipment.rejected", "reason"},  {"notification.sent", "kind"},
      {"order.status_changed", "to"},     {"order.status_changed", "from"},
  };
  for (const auto& [type, field] : cases) {
    SCOPED_TRACE(type);
    auto message = Example(type);
    message["payload"][field] = "teleported";
    ExpectRejected(message, ErrorKind::kInvalidValue, std::string("/payload/") + field);
  }
  auto message = Example("order.placed");
  message["payload"]["payment"]["method"] = "barter";
  ExpectRejected(message, ErrorKind::kInvalidValue, "/payload/payment/method");
}

TEST(Validation, RejectsUnknownTypesAndMajorVersions) {
  auto message = Example("order.placed");
  message["type"] = "order.teleported";
  ExpectRejected(message, ErrorKind::kUnknownType, "/type");

  for (const char* version : {"2.0", "0.9", "17.3"}) {
    message = Example("order.placed");
    message["version"] = version;
    ExpectRejected(message, ErrorKind::kUnknownVersion, "/version");
  }
  for (const char* version : {"1", "v1.0", "1.0.0", ""}) {
    message = Example("order.placed");
    message["version"] = version;
    ExpectRejected(message, ErrorKind::kInvalidValue, "/version");
  }
}

TEST(Validation, UnknownMajorMessageSaysWhatIsSupported) {
  auto message = Example("payment.refunded");
  message["version"] = "2.0";
  const ValidationResult result = Validate(message);
  ASSERT_FALSE(result.Ok());
  EXPECT_EQ(result.kind, ErrorKind::kUnknownVersion);
  EXPECT_NE(result.Describe().find("1.x"), std::string::npos) << result.Describe();
}

TEST(Validation, RejectsValuesOutsideTheContract) {
  auto message = Example("payment.captured");
  message["payload"]["currency"] = "eur";
  ExpectRejected(message, ErrorKind::kInvalidValue, "/payload/currency");

  message = Example("payment.captured");
  message["payload"]["amount_minor"] = -1;
  ExpectRejected(message, ErrorKind::kInvalidValue, "/payload/amount_minor");

  message = Example("order.placed");
  message["payload"]["lines"][0]["quantity"] = 0;
  ExpectRejected(message, ErrorKind::kInvalidValue, "/payload/lines/0/quantity");

  message = Example("order.placed");
  message["payload"]["lines"] = nlohmann::json::array();
  ExpectRejected(message, ErrorKind::kInvalidValue, "/payload/lines");

  message = Example("order.placed");
  message["occurred_at"] = "yesterday";
  ExpectRejected(message, ErrorKind::kInvalidValue, "/occurred_at");

  message = Example("order.placed");
  message["message_id"] = "not-a-uuid";
  ExpectRejected(message, ErrorKind::kInvalidValue, "/message_id");

  message = Example("order.placed");
  message["causation_id"] = "not-a-uuid";
  ExpectRejected(message, ErrorKind::kInvalidValue, "/causation_id");
}

TEST(Validation, TypeMustMatchTheSchemaItSelects) {
  // A payload of another event under a known type fails on that type's schema.
  auto message = Example("payment.captured");
  message["type"] = "payment.refunded";
  const ValidationResult result = Validate(message);
  EXPECT_FALSE(result.Ok());
  EXPECT_EQ(result.kind, ErrorKind::kMissingField);
}

TEST(Validation, CorrelationIdIsTheOrderId) {
  auto message = Example("payment.captured");
  message["correlation_id"] = "some-other-order";
  ExpectRejected(message, ErrorKind::kInvalidValue, "/correlation_id");
}

TEST(Validation, MoneyIsIntegral) {
  for (const nlohmann::json& amount : {nlohmann::json(33.99), nlohmann::json(3399.0), nlohmann::json("3399")}) {
    auto message = Example("payment.captured");
    message["payload"]["amount_minor"] = amount;
    ExpectRejected(message, ErrorKind::kWrongType, "/payload/amount_minor");

    message = Example("inventory.reserved");
    message["payload"]["lines"][0]["unit_price_minor"] = amount;
    ExpectRejected(message, ErrorKind::kWrongType, "/payload/lines/0/unit_price_minor");
  }
}

TEST(Validation, AcceptsANewerMinorVersion) {
  auto message = Example("inventory.reserved");
  message["version"] = "1.7";
  const Envelope envelope = ParseAndValidate(message.dump());
  EXPECT_EQ(envelope.version, "1.7");
  EXPECT_EQ(PayloadAs<InventoryReserved>(envelope).total_minor, 3399);
}

TEST(Validation, IgnoresUnknownFieldsEverywhere) {
  auto message = Example("inventory.reserved");
  message["x_trace"] = {{"span", "abc"}};
  message["payload"]["loyalty_points"] = 12;
  message["payload"]["lines"][0]["gift_wrap"] = true;
  message["payload"]["payment"]["three_ds"] = "required";
  const Envelope envelope = ParseAndValidate(message.dump());
  const auto reserved = PayloadAs<InventoryReserved>(envelope);
  EXPECT_EQ(reserved.lines.at(0).sku, "SKU-RED-MUG");
  EXPECT_EQ(reserved.payment.token, "tok_ok");
}

TEST(Validation, OptionalFieldsMayBeAbsent) {
  auto message = Example("order.placed");
  message["payload"]["shipping_address"].erase("line2");
  const auto order = PayloadAs<OrderPlaced>(ParseAndValidate(message.dump()));
  EXPECT_FALSE(order.shipping_address.line2.has_value());
}

TEST(Validation, ResultListsEveryIssue) {
  auto message = Example("order.placed");
  message["payload"].erase("customer_id");
  message["payload"]["lines"][0]["quantity"] = "many";
  const ValidationResult result = Validate(message);
  ASSERT_FALSE(result.Ok());
  EXPECT_GE(result.issues.size(), 2u);
  const std::string text = result.Describe();
  EXPECT_NE(text.find("/payload/customer_id"), std::string::npos) << text;
  EXPECT_NE(text.find("/payload/lines/0/quantity"), std::string::npos) << text;
}

// The structs defend themselves too, for payloads that never went through Validate().
TEST(PayloadAs, RejectsUnknownEnumsFloatsAndMissingFields) {
  Envelope envelope = Example("inventory.released").get<Envelope>();
  envelope.payload["reason"] = "stolen";
  try {
    PayloadAs<InventoryReleased>(envelope);
    ADD_FAILURE();
  } catch (const ContractError& e) {
    EXPECT_EQ(e.Kind(), ErrorKind::kInvalidValue);
    EXPECT_EQ(e.Path(), "/payload/reason");
    EXPECT_NE(std::string(e.what()).find("expired | payment_declined | shipment_rejected"), std::string::npos);
  }

  envelope = Example("inventory.reserved").get<Envelope>();
  envelope.payload["lines"][1]["unit_price_minor"] = 8.99;
  try {
    PayloadAs<InventoryReserved>(envelope);
    ADD_FAILURE();
  } catch (const ContractError& e) {
    EXPECT_EQ(e.Kind(), ErrorKind::kWrongType);
    EXPECT_EQ(e.Path(), "/payload/lines/1/unit_price_minor");
  }

  envelope = Example("payment.captured").get<Envelope>();
  envelope.payload.erase("payment_id");
  try {
    PayloadAs<PaymentCaptured>(envelope);
    ADD_FAILURE();
  } catch (const ContractError& e) {
    EXPECT_EQ(e.Kind(), ErrorKind::kMissingField);
    EXPECT_EQ(e.Path(), "/payload/payment_id");
  }
}

TEST(PayloadAs, RejectsAnotherEventType) {
  const Envelope envelope = Example("payment.captured").get<Envelope>();
  EXPECT_THROW(PayloadAs<PaymentDeclined>(envelope), ContractError);
}

}  // namespace
}  // namespace choreo::contracts
