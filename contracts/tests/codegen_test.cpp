// What adding an event takes, shown with one that exists only for this test,
// loyalty.points_awarded. It took TWO hand-written files, both under
// tests/support/throwaway:
//   schemas/loyalty.points_awarded/v1.json    the schema, with x-choreo-cpp-name,
//                                             x-choreo-version, x-choreo-exchange, x-choreo-producer
//   examples/loyalty.points_awarded.v1.json   its golden example
// The same generator as for the real events turned the schema into LoyaltyPointsAwarded
// in choreo/contracts/loyalty_events.hpp (CMakeLists.txt points it at this folder; a real
// event in schemas/ and examples/ is found without any CMake line). A real event also
// names its subscribers in topology.cpp; this one has none.
#include <type_traits>

#include <gtest/gtest.h>

#include "choreo/contracts/events.hpp"
#include "choreo/contracts/loyalty_events.hpp"
#include "choreo/contracts/validation.hpp"
#include "event_codegen.hpp"
#include "test_support.hpp"

namespace choreo::contracts {

// The throwaway schema and example, embedded by CMakeLists.txt (generated source).
std::span<const EmbeddedFile> EmbeddedThrowawayFiles();

namespace {

using E = LoyaltyPointsAwarded;

std::string_view ThrowawayFile(std::string_view path) {
  for (const auto& file : EmbeddedThrowawayFiles()) {
    if (file.path == path) return file.content;
  }
  throw std::out_of_range("no throwaway file " + std::string(path));
}

std::string_view Schema() { return ThrowawayFile("schemas/loyalty.points_awarded/v1.json"); }
nlohmann::json Example() { return nlohmann::json::parse(ThrowawayFile("examples/loyalty.points_awarded.v1.json")); }

// The schema and the generated type must refuse the same message.
void ExpectBothRefuse(const nlohmann::json& message, const std::string& path) {
  const ValidationResult result = ValidateWithSchema(Schema(), message);
  ASSERT_FALSE(result.Ok()) << message.dump();
  EXPECT_EQ(result.issues.front().path, path) << result.Describe();
  try {
    PayloadAs<E>(message.get<Envelope>());
    ADD_FAILURE() << "the type read what the schema refuses: " << message.dump();
  } catch (const ContractError& e) {
    EXPECT_EQ(e.Path(), path) << e.what();
  }
}

TEST(Codegen, TheSchemaBecomesAnEventType) {
  static_assert(Event<E>);
  EXPECT_EQ(E::kType, "loyalty.points_awarded");
  EXPECT_EQ(E::kVersion, "1.0");
  EXPECT_EQ(E::kExchange, "loyalty");
  EXPECT_EQ(E::kProducer, "loyalty");
  static_assert(std::is_same_v<decltype(E::points), std::int64_t>);
  static_assert(std::is_same_v<decltype(E::lines), std::vector<OrderLine>>);  // a shared type by $ref
  static_assert(std::is_same_v<decltype(E::note), std::optional<std::string>>);  // not required
  static_assert(std::is_same_v<decltype(E::tier), LoyaltyTier>);
  EXPECT_EQ(ToString(LoyaltyTier::kGoldPlus), "gold_plus");
  EXPECT_EQ(FromString<LoyaltyTier>("silver"), LoyaltyTier::kSilver);
  const E defaults;
  EXPECT_EQ(defaults.points, 0);
  EXPECT_EQ(defaults.tier, LoyaltyTier::kBronze);
}

TEST(Codegen, TheExampleValidatesAndRoundTrips) {
  const nlohmann::json example = Example();
  ASSERT_TRUE(ValidateWithSchema(Schema(), example).Ok()) << ValidateWithSchema(Schema(), example).Describe();
  const E event = PayloadAs<E>(example.get<Envelope>());
  EXPECT_EQ(event.tier, LoyaltyTier::kGoldPlus);
  EXPECT_EQ(event.note, "first order bonus");
  EXPECT_EQ(nlohmann::json(event), example.at("payload")) << "the type loses or changes fields";

  // What it writes, the schema accepts and the type reads back.
  nlohmann::json written = example;
  written["payload"] = nlohmann::json(event);
  EXPECT_TRUE(ValidateWithSchema(Schema(), written).Ok());
  EXPECT_EQ(PayloadAs<E>(written.get<Envelope>()), event);
}

TEST(Codegen, SchemaAndTypeAgreeOnWhatIsOptional) {
  nlohmann::json message = Example();
  message["payload"].erase("note");
  EXPECT_TRUE(ValidateWithSchema(Schema(), message).Ok());
  EXPECT_EQ(PayloadAs<E>(message.get<Envelope>()).note, std::nullopt);

  message["payload"].erase("points");
  ExpectBothRefuse(message, "/payload/points");
}

TEST(Codegen, SchemaAndTypeRefuseTheSameValues) {
  nlohmann::json message = Example();
  message["payload"]["tier"] = "platinum";
  ExpectBothRefuse(message, "/payload/tier");
  message = Example();
  message["payload"]["points"] = 1.5;
  ExpectBothRefuse(message, "/payload/points");
  message = Example();
  message["payload"]["lines"][0]["quantity"] = "2";
  ExpectBothRefuse(message, "/payload/lines/0/quantity");
}

// --- the generator's refusals, on variations of the throwaway schema -------------------

using Json = nlohmann::ordered_json;

std::vector<codegen::GeneratedFile> Generate(const Json& schema) {
  const Json common = Json::parse(*SchemaDocument("common/v1.json"));
  return codegen::Generate(common, {{"loyalty.points_awarded/v1.json", schema}}, {});
}

std::string GenerateError(const Json& schema) {
  try {
    Generate(schema);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "(generated)";
}

TEST(Codegen, WritesOneHeaderPerContext) {
  const auto files = Generate(Json::parse(Schema()));
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].path, "choreo/contracts/loyalty_events.hpp");
  EXPECT_NE(files[0].content.find("struct LoyaltyPointsAwarded {"), std::string::npos);
  EXPECT_NE(files[0].content.find("std::optional<std::string> note;  // why, for support"), std::string::npos);
}

TEST(Codegen, RefusesWhatItCannotMapFaithfully) {
  const Json good = Json::parse(Schema());
  auto changed = [&](auto&& change) {
    Json schema = good;
    change(schema);
    return GenerateError(schema);
  };
  EXPECT_NE(changed([](Json& s) { s["properties"]["payload"]["properties"]["points"] = {{"type", "number"}}; })
                .find("no floating point"),
            std::string::npos);
  EXPECT_NE(changed([](Json& s) { s["properties"]["payload"]["properties"]["tier"].erase("x-choreo-cpp-name"); })
                .find("an enum needs x-choreo-cpp-name"),
            std::string::npos);
  EXPECT_NE(changed([](Json& s) { s["properties"]["payload"]["properties"]["tier"]["x-choreo-cpp-name"] = "OrderLine"; })
                .find("used twice"),
            std::string::npos);
  EXPECT_NE(changed([](Json& s) { s.erase("x-choreo-exchange"); }).find("x-choreo-exchange"), std::string::npos);
  EXPECT_NE(changed([](Json& s) { s["x-choreo-version"] = "2.0"; }).find("must be 1.<minor>"), std::string::npos);
  EXPECT_NE(changed([](Json& s) { s["properties"]["type"]["const"] = "loyalty.other"; }).find("properties/type/const"),
            std::string::npos);
  EXPECT_NE(changed([](Json& s) { s["properties"]["payload"]["required"].push_back("bonus"); }).find("'bonus'"),
            std::string::npos);
  EXPECT_NE(changed([](Json& s) { s["properties"]["payload"]["properties"].erase("order_id"); }).find("order_id"),
            std::string::npos);
  EXPECT_EQ(changed([](Json&) {}), "(generated)");
}

}  // namespace
}  // namespace choreo::contracts
