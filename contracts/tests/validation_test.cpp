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

// The example of `type` with `value` at `field` (a JSON pointer).
nlohmann::json WithField(const std::string& type, const std::string& field, const nlohmann::json& value) {
  auto message = Example(type);
  message[nlohmann::json::json_pointer(field)] = value;
  return message;
}

// WithField(type, field, value), expecting a ContractError of `kind` at that field.
void ExpectRejectedWith(const std::string& type, const std::string& field, const nlohmann::json& value,
                        ErrorKind kind) {
  SCOPED_TRACE(type + " " + field + " = " + value.dump());
  ExpectRejected(WithField(type, field, value), kind, field);
}

// The example of `type` without `field` (a JSON pointer).
nlohmann::json WithoutField(const std::string& type, const std::string& field) {
  auto message = Example(type);
  const nlohmann::json::json_pointer pointer(field);
  message.at(pointer.parent_pointer()).erase(pointer.back());
  return message;
}

// WithoutField(type, field), expecting a missing field there.
void ExpectRejectedWithout(const std::string& type, const std::string& field) {
  SCOPED_TRACE(type + " without " + field);
  ExpectRejected(WithoutField(type, field), ErrorKind::kMissingField, field);
}

// PayloadAs<E>(message's envelope), expecting a ContractError of `kind` at `path`; returns
// the error's text.
template <class E>
std::string ExpectPayloadRefused(const nlohmann::json& message, ErrorKind kind, const std::string& path) {
  try {
    PayloadAs<E>(message.get<Envelope>());
    ADD_FAILURE() << "accepted: " << message.dump();
  } catch (const ContractError& e) {
    EXPECT_EQ(e.Kind(), kind);
    EXPECT_EQ(e.Path(), path);
    return e.what();
  }
  return "";
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
    ExpectRejectedWithout("order.placed", std::string("/") + field);
  }
}

TEST(Validation, RejectsMissingPayloadFields) {
  ExpectRejectedWithout("inventory.reserved", "/payload/total_minor");
  ExpectRejectedWithout("order.placed", "/payload/shipping_address/country");
  ExpectRejectedWithout("order.placed", "/payload/lines/1/sku");
}

TEST(Validation, RejectsWrongTypes) {
  ExpectRejectedWith("order.placed", "/payload/lines/0/quantity", "2", ErrorKind::kWrongType);
  ExpectRejectedWith("order.placed", "/payload/lines", nlohmann::json::object(), ErrorKind::kWrongType);
  ExpectRejectedWith("payment.captured", "/message_id", 42, ErrorKind::kWrongType);
  ExpectRejectedWith("payment.captured", "/version", 1.0, ErrorKind::kWrongType);
}

TEST(Validation, RejectsUnknownEnumValues) {
  const std::pair<const char*, const char*> cases[] = {
      {"inventory.rejected", "reason"},   {"inventory.released", "reason"}, {"order.cancelled", "reason"},
      {"payment.refunded", "reason"},     {"shipment.rejected", "reason"},  {"notification.sent", "kind"},
      {"order.status_changed", "to"},     {"order.status_changed", "from"},
  };
  for (const auto& [type, field] : cases) {
    ExpectRejectedWith(type, std::string("/payload/") + field, "teleported", ErrorKind::kInvalidValue);
  }
  ExpectRejectedWith("order.placed", "/payload/payment/method", "barter", ErrorKind::kInvalidValue);
}

TEST(Validation, RejectsUnknownTypesAndMajorVersions) {
  ExpectRejectedWith("order.placed", "/type", "order.teleported", ErrorKind::kUnknownType);
  for (const char* version : {"2.0", "0.9", "17.3"}) {
    ExpectRejectedWith("order.placed", "/version", version, ErrorKind::kUnknownVersion);
  }
  for (const char* version : {"1", "v1.0", "1.0.0", ""}) {
    ExpectRejectedWith("order.placed", "/version", version, ErrorKind::kInvalidValue);
  }
}

TEST(Validation, UnknownMajorMessageSaysWhatIsSupported) {
  const ValidationResult result = Validate(WithField("payment.refunded", "/version", "2.0"));
  ASSERT_FALSE(result.Ok());
  EXPECT_EQ(result.kind, ErrorKind::kUnknownVersion);
  EXPECT_NE(result.Describe().find("1.x"), std::string::npos) << result.Describe();
}

TEST(Validation, RejectsValuesOutsideTheContract) {
  ExpectRejectedWith("payment.captured", "/payload/currency", "eur", ErrorKind::kInvalidValue);
  ExpectRejectedWith("payment.captured", "/payload/amount_minor", -1, ErrorKind::kInvalidValue);
  ExpectRejectedWith("order.placed", "/payload/lines/0/quantity", 0, ErrorKind::kInvalidValue);
  ExpectRejectedWith("order.placed", "/payload/lines", nlohmann::json::array(), ErrorKind::kInvalidValue);
  ExpectRejectedWith("order.placed", "/occurred_at", "yesterday", ErrorKind::kInvalidValue);
  ExpectRejectedWith("order.placed", "/message_id", "not-a-uuid", ErrorKind::kInvalidValue);
  ExpectRejectedWith("order.placed", "/causation_id", "not-a-uuid", ErrorKind::kInvalidValue);
}

TEST(Validation, TypeMustMatchTheSchemaItSelects) {
  // A payload of another event under a known type fails on that type's schema.
  const ValidationResult result = Validate(WithField("payment.captured", "/type", "payment.refunded"));
  EXPECT_FALSE(result.Ok());
  EXPECT_EQ(result.kind, ErrorKind::kMissingField);
}

TEST(Validation, CorrelationIdIsTheOrderId) {
  ExpectRejectedWith("payment.captured", "/correlation_id", "some-other-order", ErrorKind::kInvalidValue);
}

TEST(Validation, MoneyIsIntegral) {
  for (const nlohmann::json& amount : {nlohmann::json(33.99), nlohmann::json(3399.0), nlohmann::json("3399")}) {
    ExpectRejectedWith("payment.captured", "/payload/amount_minor", amount, ErrorKind::kWrongType);
    ExpectRejectedWith("inventory.reserved", "/payload/lines/0/unit_price_minor", amount, ErrorKind::kWrongType);
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
  const std::string unknown_enum = ExpectPayloadRefused<InventoryReleased>(
      WithField("inventory.released", "/payload/reason", "stolen"), ErrorKind::kInvalidValue, "/payload/reason");
  EXPECT_NE(unknown_enum.find("expired | payment_declined | shipment_rejected"), std::string::npos) << unknown_enum;
  ExpectPayloadRefused<InventoryReserved>(WithField("inventory.reserved", "/payload/lines/1/unit_price_minor", 8.99),
                                          ErrorKind::kWrongType, "/payload/lines/1/unit_price_minor");
  ExpectPayloadRefused<PaymentCaptured>(WithoutField("payment.captured", "/payload/payment_id"),
                                        ErrorKind::kMissingField, "/payload/payment_id");
}

TEST(PayloadAs, RejectsAnotherEventType) {
  const Envelope envelope = Example("payment.captured").get<Envelope>();
  EXPECT_THROW(PayloadAs<PaymentDeclined>(envelope), ContractError);
}

}  // namespace
}  // namespace choreo::contracts
