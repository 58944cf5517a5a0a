#include <chrono>
#include <regex>
#include <set>

#include <gtest/gtest.h>

#include "choreo/contracts/events.hpp"
#include "choreo/contracts/time.hpp"
#include "choreo/contracts/validation.hpp"

namespace choreo::contracts {
namespace {

OrderPlaced SampleOrder() {
  OrderPlaced order;
  order.order_id = "ord-1";
  order.customer_id = "cust-1";
  order.lines = {{"SKU-1", 2}};
  order.payment = {PaymentMethod::kCard, "tok_ok"};
  order.shipping_address = {"Ada", "1 Main St", std::nullopt, "Berlin", "10115", "DE"};
  order.placed_at = "2024-05-01T12:00:00.000Z";
  return order;
}

TEST(NewUuid, IsLowerCaseVersion4AndUnique) {
  const std::regex v4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = NewUuid();
    ASSERT_TRUE(std::regex_match(id, v4)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(NewTimeOrderedUuid, IsVersion7AndCarriesTheCurrentMillisecond) {
  const std::regex v7("^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
    const std::string id = NewTimeOrderedUuid();
    const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
    ASSERT_TRUE(std::regex_match(id, v7)) << id;
    // The first 48 bits (12 hex digits without the dash) are the Unix milliseconds.
    const long long ms = std::stoll(id.substr(0, 8) + id.substr(9, 4), nullptr, 16);
    ASSERT_GE(ms, before) << id;
    ASSERT_LE(ms, after) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(Rfc3339, NowHasMillisecondsAndUtc) {
  const std::string now = NowRfc3339();
  EXPECT_TRUE(std::regex_match(now, std::regex(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)"))) << now;
  ASSERT_TRUE(ParseRfc3339(now).has_value());
  EXPECT_EQ(FormatRfc3339(*ParseRfc3339(now)), now);
}

TEST(Rfc3339, ParsesOffsetsIntoUtc) {
  const auto utc = ParseRfc3339("2024-05-01T12:00:00.250Z");
  const auto offset = ParseRfc3339("2024-05-01T14:00:00.25+02:00");
  ASSERT_TRUE(utc && offset);
  EXPECT_EQ(*utc, *offset);
  EXPECT_EQ(FormatRfc3339(*utc), "2024-05-01T12:00:00.250Z");
}

TEST(Rfc3339, RejectsMalformedTimes) {
  for (const char* text : {"", "2024-05-01", "2024-05-01 12:00:00Z", "2024-13-01T00:00:00Z",
                           "2024-02-30T00:00:00Z", "2024-05-01T12:00:00", "2024-05-01T12:00:00.Z",
                           "2024-05-01T12:00:00Zjunk"}) {
    EXPECT_FALSE(ParseRfc3339(text).has_value()) << text;
  }
}

TEST(ParseVersion, AcceptsMajorDotMinorOnly) {
  EXPECT_EQ(ParseVersion("1.0"), (SchemaVersion{1, 0}));
  EXPECT_EQ(ParseVersion("1.17"), (SchemaVersion{1, 17}));
  for (const char* text : {"1", "1.", ".1", "v1.0", "1.0.0", "1.x", ""}) {
    EXPECT_FALSE(ParseVersion(text).has_value()) << text;
  }
}

TEST(MakeEnvelope, TypedFillsEverythingFromTheEvent) {
  const Envelope envelope = MakeEnvelope(SampleOrder());
  EXPECT_EQ(envelope.type, "order.placed");
  EXPECT_EQ(envelope.version, "1.0");
  EXPECT_EQ(envelope.producer, "gateway");
  EXPECT_EQ(envelope.correlation_id, "ord-1");
  EXPECT_EQ(envelope.causation_id, "");
  EXPECT_TRUE(ParseRfc3339(envelope.occurred_at).has_value());
  EXPECT_EQ(envelope.payload, nlohmann::json(SampleOrder()));
}

TEST(MakeEnvelope, CausationIsTheCausingMessage) {
  const Envelope placed = MakeEnvelope(SampleOrder());
  ReservationDeadline deadline{"ord-1", "res-1", "2024-05-01T12:15:00.000Z"};
  const Envelope caused = MakeEnvelope(deadline, placed);
  EXPECT_EQ(caused.causation_id, placed.message_id);
  EXPECT_NE(caused.message_id, placed.message_id);
  EXPECT_EQ(caused.producer, "inventory");
}

TEST(MakeEnvelope, UnknownTypeIsAProgrammingError) {
  EXPECT_THROW(MakeEnvelope("order.teleported", "ord-1", "", "gateway", nlohmann::json::object()),
               std::invalid_argument);
}

TEST(Envelope, SerializedMessageParsesBackIdentically) {
  const Envelope envelope = MakeEnvelope(SampleOrder());
  const Envelope parsed = ParseAndValidate(Serialize(envelope));
  EXPECT_EQ(parsed, envelope);
  EXPECT_EQ(PayloadAs<OrderPlaced>(parsed), SampleOrder());
}

TEST(Envelope, BodyIsTheWholeEnvelope) {
  const Envelope envelope = MakeEnvelope(SampleOrder());
  const auto body = nlohmann::json::parse(Serialize(envelope));
  for (const char* key : {"message_id", "type", "version", "correlation_id", "causation_id", "producer",
                          "occurred_at", "payload"}) {
    EXPECT_TRUE(body.contains(key)) << key;
  }
}

TEST(Envelope, MissingCausationReadsAsEmpty) {
  nlohmann::json body = MakeEnvelope(SampleOrder());
  body.erase("causation_id");
  EXPECT_EQ(body.get<Envelope>().causation_id, "");
}

TEST(AmqpProperties, MirrorTheEnvelope) {
  Envelope envelope = MakeEnvelope(SampleOrder(), std::string_view("0b8e2f7a-3c1d-4e5f-8a9b-1c2d3e4f5a01"));
  envelope.occurred_at = "2024-05-01T12:00:00.999Z";
  const AmqpProperties properties = ToAmqpProperties(envelope);
  EXPECT_EQ(properties.message_id, envelope.message_id);
  EXPECT_EQ(properties.type, "order.placed");
  EXPECT_EQ(properties.correlation_id, "ord-1");
  EXPECT_EQ(properties.app_id, "gateway");
  EXPECT_EQ(properties.content_type, "application/json");
  EXPECT_EQ(properties.timestamp, 1714564800);
  EXPECT_EQ(properties.expiration, "");
  EXPECT_EQ(properties.headers.at("x-choreo-version"), "1.0");
  EXPECT_EQ(properties.headers.at("x-choreo-causation-id"), "0b8e2f7a-3c1d-4e5f-8a9b-1c2d3e4f5a01");
}

TEST(AmqpProperties, DeadlineExpiresWhenTheHoldEnds) {
  Envelope envelope = MakeEnvelope(ReservationDeadline{"ord-1", "res-1", "2024-05-01T12:15:00.050Z"});
  envelope.occurred_at = "2024-05-01T12:00:00.050Z";
  EXPECT_EQ(ToAmqpProperties(envelope).expiration, "900000");
  // Never negative, even if the hold is already over when the message is built.
  envelope.occurred_at = "2024-05-01T12:20:00.000Z";
  EXPECT_EQ(ToAmqpProperties(envelope).expiration, "0");
}

TEST(AmqpProperties, RejectsABadTimestamp) {
  Envelope envelope = MakeEnvelope(SampleOrder());
  envelope.occurred_at = "yesterday";
  EXPECT_THROW(ToAmqpProperties(envelope), ContractError);
}

TEST(TotalMinor, SumsLinesAndRefusesToOverflow) {
  EXPECT_EQ(TotalMinor({{"A", 2, 1250}, {"B", 1, 899}}), 3399);
  EXPECT_THROW(TotalMinor({{"A", 2, std::numeric_limits<std::int64_t>::max()}}), std::overflow_error);
}

}  // namespace
}  // namespace choreo::contracts
