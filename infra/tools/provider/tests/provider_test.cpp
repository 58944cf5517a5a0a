// Unit tests without I/O: request validation, fingerprints, faults, flags, client options.
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "choreo/provider/client.hpp"
#include "choreo/provider/faults.hpp"
#include "choreo/provider/protocol.hpp"
#include "choreo/provider/server.hpp"

namespace choreo::provider {
namespace {

using nlohmann::json;

json ValidCharge() {
  return {{"order_id", "o-1"}, {"amount_minor", 1999}, {"currency", "EUR"}, {"token", "tok_ok"}};
}

TEST(ChargeRequest, ParsesAValidRequest) {
  const ChargeRequest request = ParseChargeRequest(ValidCharge());
  EXPECT_EQ(request.order_id, "o-1");
  EXPECT_EQ(request.amount_minor, 1999);
  EXPECT_EQ(request.currency, "EUR");
  EXPECT_EQ(request.token, "tok_ok");
}

TEST(ChargeRequest, RejectsMissingAndMistypedFields) {
  for (const char* field : {"order_id", "amount_minor", "currency", "token"}) {
    json body = ValidCharge();
    body.erase(field);
    EXPECT_THROW(ParseChargeRequest(body), InvalidRequest) << field;
    body[field] = nullptr;
    EXPECT_THROW(ParseChargeRequest(body), InvalidRequest) << field;
  }
  const std::vector<std::pair<std::string, json>> bad = {
      {"amount_minor", 19.99}, {"amount_minor", "1999"}, {"amount_minor", 0}, {"amount_minor", true},
      {"currency", "eur"},     {"currency", "EURO"},     {"order_id", ""},    {"token", 7},
  };
  for (const auto& [field, value] : bad) {
    json body = ValidCharge();
    body[field] = value;
    EXPECT_THROW(ParseChargeRequest(body), InvalidRequest) << field << "=" << value.dump();
  }
  json negative = ValidCharge();
  negative["amount_minor"] = -5;
  EXPECT_THROW(ParseChargeRequest(negative), InvalidRequest);
  json huge = ValidCharge();
  huge["amount_minor"] = std::uint64_t{1} << 63;
  EXPECT_THROW(ParseChargeRequest(huge), InvalidRequest);
  EXPECT_THROW(ParseChargeRequest(json::array()), InvalidRequest);
}

TEST(ChargeRequest, NamesTheOffendingFieldInTheError) {
  json body = ValidCharge();
  body.erase("currency");
  try {
    ParseChargeRequest(body);
    FAIL() << "no exception";
  } catch (const InvalidRequest& e) {
    EXPECT_NE(std::string(e.what()).find("currency"), std::string::npos) << e.what();
  }
}

TEST(RefundRequest, Validates) {
  const json valid = {{"charge_id", "ch_1"}, {"amount_minor", 100}, {"reason", "shipment_rejected"}};
  EXPECT_EQ(ParseRefundRequest(valid).amount_minor, 100);
  for (const char* field : {"charge_id", "amount_minor", "reason"}) {
    json body = valid;
    body.erase(field);
    EXPECT_THROW(ParseRefundRequest(body), InvalidRequest) << field;
  }
}

TEST(EmailRequest, ValidatesTheAddressAndAllowsEmptySubjectAndBody) {
  const json valid = {{"to", "ada@example.com"}, {"template", "order_confirmed"}, {"order_id", "o-1"},
                      {"subject", ""},           {"body", ""}};
  const EmailRequest request = ParseEmailRequest(valid);
  EXPECT_EQ(request.template_name, "order_confirmed");
  for (const char* to : {"", "ada", "@example.com", "ada@", "a@b@c", "ada @example.com"}) {
    json body = valid;
    body["to"] = to;
    EXPECT_THROW(ParseEmailRequest(body), InvalidRequest) << to;
  }
  json no_subject = valid;
  no_subject.erase("subject");
  EXPECT_THROW(ParseEmailRequest(no_subject), InvalidRequest);
}

TEST(ParseJsonObject, RejectsMalformedAndNonObjectBodies) {
  EXPECT_THROW(ParseJsonObject("{"), InvalidRequest);
  EXPECT_THROW(ParseJsonObject(""), InvalidRequest);
  EXPECT_THROW(ParseJsonObject("[1]"), InvalidRequest);
  EXPECT_THROW(ParseJsonObject("\"x\""), InvalidRequest);
  EXPECT_EQ(ParseJsonObject(R"({"a":1})")["a"], 1);
}

TEST(IdempotencyKey, Validates) {
  EXPECT_NO_THROW(ValidateIdempotencyKey("charge:o-1"));
  EXPECT_THROW(ValidateIdempotencyKey(""), InvalidRequest);
  EXPECT_THROW(ValidateIdempotencyKey("has space"), InvalidRequest);
  EXPECT_THROW(ValidateIdempotencyKey("tab\t"), InvalidRequest);
  EXPECT_THROW(ValidateIdempotencyKey("caf\xc3\xa9"), InvalidRequest);
  EXPECT_NO_THROW(ValidateIdempotencyKey(std::string(kMaxIdempotencyKeyLength, 'k')));
  EXPECT_THROW(ValidateIdempotencyKey(std::string(kMaxIdempotencyKeyLength + 1, 'k')), InvalidRequest);
}

TEST(RequestFingerprint, IgnoresFormattingKeyOrderAndUnknownFields) {
  const json a = ParseJsonObject(R"({"order_id":"o-1","amount_minor":1999,"currency":"EUR","token":"tok_ok"})");
  const json b = ParseJsonObject(R"({ "token" : "tok_ok", "currency":"EUR", "amount_minor":1999,
                                     "order_id":"o-1", "note":"ignored" })");
  const std::string fa = RequestFingerprint("POST /v1/charges", ToJson(ParseChargeRequest(a)));
  const std::string fb = RequestFingerprint("POST /v1/charges", ToJson(ParseChargeRequest(b)));
  EXPECT_EQ(fa, fb);
  EXPECT_EQ(fa.size(), 64u);
  EXPECT_EQ(fa.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(RequestFingerprint, ChangesWithAnyFieldThatMattersAndWithTheEndpoint) {
  const ChargeRequest base = ParseChargeRequest(ValidCharge());
  const std::string reference = RequestFingerprint("POST /v1/charges", ToJson(base));
  ChargeRequest changed = base;
  changed.amount_minor += 1;
  EXPECT_NE(RequestFingerprint("POST /v1/charges", ToJson(changed)), reference);
  changed = base;
  changed.token = "tok_decline";
  EXPECT_NE(RequestFingerprint("POST /v1/charges", ToJson(changed)), reference);
  EXPECT_NE(RequestFingerprint("POST /v1/refunds", ToJson(base)), reference);
}

TEST(Problem, FollowsRfc9457) {
  const json problem = Problem(422, "idempotency-key-reused", "Idempotency-Key reused", "detail text");
  EXPECT_EQ(problem["type"], "urn:choreo:provider:idempotency-key-reused");
  EXPECT_EQ(problem["title"], "Idempotency-Key reused");
  EXPECT_EQ(problem["status"], 422);
  EXPECT_EQ(problem["detail"], "detail text");
}

TEST(FaultSettings, ParsesAndDefaultsMissingFieldsToZero) {
  const FaultSettings none = ParseFaultSettings(json::object());
  EXPECT_EQ(none.error_rate, 0.0);
  EXPECT_EQ(none.latency_ms, 0);
  EXPECT_EQ(none.burst_5xx, 0);
  const FaultSettings some = ParseFaultSettings({{"error_rate", 0.5}, {"latency_ms", 20}, {"burst_5xx", 3}});
  EXPECT_EQ(some.error_rate, 0.5);
  EXPECT_EQ(some.latency_ms, 20);
  EXPECT_EQ(some.burst_5xx, 3);
  EXPECT_EQ(ParseFaultSettings({{"error_rate", 1}}).error_rate, 1.0);
  EXPECT_THROW(ParseFaultSettings({{"error_rate", 1.5}}), InvalidRequest);
  EXPECT_THROW(ParseFaultSettings({{"error_rate", "0.5"}}), InvalidRequest);
  EXPECT_THROW(ParseFaultSettings({{"latency_ms", -1}}), InvalidRequest);
  EXPECT_THROW(ParseFaultSettings({{"latency_ms", FaultSettings::kMaxLatencyMs + 1}}), InvalidRequest);
  EXPECT_THROW(ParseFaultSettings({{"burst_5xx", 1.5}}), InvalidRequest);
}

TEST(FaultInjector, BurstFailsExactlyTheNextNRequests) {
  FaultInjector faults([] { return 0.99; });
  faults.Set({.burst_5xx = 2});
  EXPECT_TRUE(faults.Next().fail);
  EXPECT_EQ(faults.Get().burst_5xx, 1);
  EXPECT_TRUE(faults.Next().fail);
  EXPECT_FALSE(faults.Next().fail);
  EXPECT_FALSE(faults.Next().fail);
  EXPECT_EQ(faults.Get().burst_5xx, 0);
}

TEST(FaultInjector, ErrorRateComparesTheDrawAndLatencyIsReported) {
  double draw = 0.3;
  FaultInjector faults([&draw] { return draw; });
  faults.Set({.error_rate = 0.5, .latency_ms = 40});
  FaultDecision decision = faults.Next();
  EXPECT_TRUE(decision.fail);
  EXPECT_EQ(decision.latency.count(), 40);
  draw = 0.7;
  EXPECT_FALSE(faults.Next().fail);
  faults.Set({});
  draw = 0.0;
  EXPECT_FALSE(faults.Next().fail);
}

std::function<std::optional<std::string>(const char*)> Env(std::map<std::string, std::string> values) {
  return [values = std::move(values)](const char* name) -> std::optional<std::string> {
    auto it = values.find(name);
    return it == values.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

TEST(ProviderArgs, DefaultsEnvironmentAndFlags) {
  const ProviderCommandLine defaults = ParseProviderArgs({}, Env({}));
  EXPECT_EQ(defaults.options.port, 8090);
  EXPECT_EQ(defaults.options.store_url, "sqlite:var/data/provider.db");
  EXPECT_EQ(defaults.options.flaky_failures, 2);
  EXPECT_EQ(defaults.options.host, "127.0.0.1");
  EXPECT_FALSE(defaults.help);

  const auto env = Env({{"CHOREO_PROVIDER_PORT", "9001"}, {"CHOREO_PROVIDER_STORE_URL", "sqlite:/tmp/p.db"}});
  const ProviderCommandLine from_env = ParseProviderArgs({}, env);
  EXPECT_EQ(from_env.options.port, 9001);
  EXPECT_EQ(from_env.options.store_url, "sqlite:/tmp/p.db");

  const ProviderCommandLine flags = ParseProviderArgs(
      {"--port=0", "--store", "sqlite:/tmp/q.db", "--flaky-failures", "5", "--threads=4", "--log-level", "debug"},
      env);
  EXPECT_EQ(flags.options.port, 0);
  EXPECT_EQ(flags.options.store_url, "sqlite:/tmp/q.db");
  EXPECT_EQ(flags.options.flaky_failures, 5);
  EXPECT_EQ(flags.options.max_threads, 4u);
  EXPECT_EQ(flags.log_level, "debug");
  EXPECT_TRUE(ParseProviderArgs({"--help"}, Env({})).help);
}

TEST(ProviderArgs, RejectsBadValues) {
  EXPECT_THROW(ParseProviderArgs({"--port", "65536"}, Env({})), std::invalid_argument);
  EXPECT_THROW(ParseProviderArgs({"--port", "80x"}, Env({})), std::invalid_argument);
  EXPECT_THROW(ParseProviderArgs({"--port"}, Env({})), std::invalid_argument);
  EXPECT_THROW(ParseProviderArgs({"--threads", "0"}, Env({})), std::invalid_argument);
  EXPECT_THROW(ParseProviderArgs({"--flaky-failures", "-1"}, Env({})), std::invalid_argument);
  EXPECT_THROW(ParseProviderArgs({"--bogus"}, Env({})), std::invalid_argument);
  EXPECT_THROW(ParseProviderArgs({}, Env({{"CHOREO_PROVIDER_PORT", "http"}})), std::invalid_argument);
}

TEST(ProviderClientOptions, Validates) {
  EXPECT_NO_THROW(ProviderClientOptions{}.Validate());
  EXPECT_NO_THROW(ProviderClientOptions{.base_url = "http://localhost:1234/"}.Validate());
  EXPECT_THROW(ProviderClientOptions{.base_url = "https://127.0.0.1:8090"}.Validate(), std::invalid_argument);
  EXPECT_THROW(ProviderClientOptions{.base_url = "127.0.0.1:8090"}.Validate(), std::invalid_argument);
  EXPECT_THROW(ProviderClientOptions{.base_url = "http://127.0.0.1:8090/v1"}.Validate(), std::invalid_argument);
  EXPECT_THROW(ProviderClientOptions{.timeout = std::chrono::milliseconds(0)}.Validate(), std::invalid_argument);
}

TEST(ProviderClient, RefusesAnEmptyIdempotencyKeyBeforeAnyNetworkCall) {
  ProviderClient client(ProviderClientOptions{.base_url = "http://127.0.0.1:1"});
  EXPECT_THROW(client.Charge("", "o-1", 100, "EUR", "tok_ok"), std::invalid_argument);
  EXPECT_THROW(client.Refund("", "ch_1", 100, "r"), std::invalid_argument);
  EXPECT_THROW(client.FindCharge(""), std::invalid_argument);
  EXPECT_THROW(client.SendEmail("", "a@b.c", "t", "o-1", "s", "b"), std::invalid_argument);
}

}  // namespace
}  // namespace choreo::provider
