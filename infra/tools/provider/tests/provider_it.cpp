// Integration tests: the provider runs in-process on an ephemeral port and is driven
// through ProviderClient, plus raw HTTP where the wire format itself is under test. Every
// case runs over a temporary SQLite ledger and over a fresh PostgreSQL schema
// (CHOREO_TEST_PG_URL), both removed afterwards.
#include <chrono>
#include <latch>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "choreo/provider/client.hpp"
#include "choreo/provider/server.hpp"
#include "choreo/testing/http_client.hpp"
#include "choreo/testing/test_database.hpp"
#include "choreo/testing/testing.hpp"

namespace choreo::provider {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

struct HttpResult {
  int status = 0;
  std::string content_type;
  std::string allow;
  bool replayed = false;
  json body;
};

class ProviderIt : public ::testing::TestWithParam<testing::DbKind> {
 protected:
  void SetUp() override { StartServer(); }

  void StartServer() {
    ProviderServerOptions options;
    options.port = 0;
    options.store_url = db_.Url();
    options.max_threads = 8;
    options.max_body_bytes = 4096;
    server_ = std::make_unique<ProviderServer>(options);
    server_->Start();
    client_ = std::make_unique<ProviderClient>(ProviderClientOptions{.base_url = server_->BaseUrl()});
  }

  HttpResult Http(const std::string& method, const std::string& path, const std::string& body = "",
                  std::optional<std::string> idempotency_key = std::nullopt,
                  const std::string& content_type = "application/json") {
    std::map<std::string, std::string> headers;
    if (idempotency_key) headers["Idempotency-Key"] = *idempotency_key;
    const testing::HttpResult answer =
        testing::Request(server_->Port(), method, path, body, body.empty() ? "" : content_type, headers);
    HttpResult result;
    result.status = answer.status;
    result.content_type = answer.Header("content-type");
    result.allow = answer.Header("allow");
    result.replayed = answer.Header("idempotent-replayed") == "true";
    result.body = json::parse(answer.body, nullptr, false);
    return result;
  }

  json Ledger() {
    HttpResult result = Http("GET", "/v1/ledger");
    EXPECT_EQ(result.status, 200);
    return result.body;
  }

  void SetFaults(const json& faults) {
    HttpResult result = Http("POST", "/v1/faults", faults.dump());
    ASSERT_EQ(result.status, 200) << result.body.dump();
  }

  testing::TestDatabase db_{GetParam(), "provider-it"};
  std::unique_ptr<ProviderServer> server_;
  std::unique_ptr<ProviderClient> client_;
};

TEST_P(ProviderIt, ChargeRepeatedWithOneKeyChargesOnce) {
  const ChargeResult first = client_->Charge("charge:o-1", "o-1", 1999, "EUR", "tok_ok");
  ASSERT_TRUE(first.Captured());
  EXPECT_FALSE(first.replayed);
  EXPECT_EQ(first.charge_id.rfind("ch_", 0), 0u) << first.charge_id;

  const ChargeResult second = client_->Charge("charge:o-1", "o-1", 1999, "EUR", "tok_ok");
  EXPECT_TRUE(second.Captured());
  EXPECT_TRUE(second.replayed);
  EXPECT_EQ(second.charge_id, first.charge_id);

  const json ledger = Ledger();
  ASSERT_EQ(ledger["charges"].size(), 1u) << ledger.dump();
  EXPECT_EQ(ledger["charges"][0]["charge_id"], first.charge_id);
  EXPECT_EQ(ledger["charges"][0]["idempotency_key"], "charge:o-1");
  EXPECT_EQ(ledger["charges"][0]["amount_minor"], 1999);
  EXPECT_EQ(ledger["charges"][0]["status"], "captured");
}

TEST_P(ProviderIt, DeclineIsAResultRecordedOnce) {
  const ChargeResult first = client_->Charge("charge:o-2", "o-2", 500, "EUR", "tok_decline");
  EXPECT_FALSE(first.Captured());
  EXPECT_EQ(first.status, ChargeStatus::kDeclined);
  EXPECT_EQ(first.decline_reason, "card_declined");
  const ChargeResult again = client_->Charge("charge:o-2", "o-2", 500, "EUR", "tok_decline");
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.charge_id, first.charge_id);
  EXPECT_EQ(again.decline_reason, "card_declined");

  const ChargeResult unknown = client_->Charge("charge:o-3", "o-3", 500, "EUR", "tok_stolen");
  EXPECT_EQ(unknown.status, ChargeStatus::kDeclined);
  EXPECT_EQ(unknown.decline_reason, "invalid_token");

  const json ledger = Ledger();
  ASSERT_EQ(ledger["charges"].size(), 2u) << ledger.dump();
  for (const json& charge : ledger["charges"]) EXPECT_EQ(charge["status"], "declined");

  const HttpResult raw = Http("POST", "/v1/charges", R"({"order_id":"o-2","amount_minor":500,"currency":"EUR","token":"tok_decline"})",
                              "charge:o-2");
  EXPECT_EQ(raw.status, 402);
  EXPECT_EQ(raw.body["status"], "declined");
  EXPECT_EQ(raw.body["reason"], "card_declined");
}

TEST_P(ProviderIt, FlakyTokenFailsTwicePerKeyThenSucceedsOnce) {
  for (int attempt = 1; attempt <= 2; ++attempt) {
    try {
      client_->Charge("charge:o-4", "o-4", 700, "EUR", "tok_flaky");
      FAIL() << "attempt " << attempt << " succeeded";
    } catch (const ProviderUnavailable& e) {
      EXPECT_EQ(e.HttpStatus(), 503) << e.what();
    }
    EXPECT_TRUE(Ledger()["charges"].empty());
  }
  const ChargeResult third = client_->Charge("charge:o-4", "o-4", 700, "EUR", "tok_flaky");
  ASSERT_TRUE(third.Captured());
  EXPECT_FALSE(third.replayed);
  const ChargeResult fourth = client_->Charge("charge:o-4", "o-4", 700, "EUR", "tok_flaky");
  EXPECT_TRUE(fourth.replayed);
  EXPECT_EQ(fourth.charge_id, third.charge_id);
  EXPECT_EQ(Ledger()["charges"].size(), 1u);

  // Counted per key: another order's charge starts its own failures.
  EXPECT_THROW(client_->Charge("charge:o-5", "o-5", 700, "EUR", "tok_flaky"), ProviderUnavailable);
}

TEST_P(ProviderIt, KeyReusedWithADifferentRequestIsRejected) {
  const ChargeResult first = client_->Charge("charge:o-6", "o-6", 1000, "EUR", "tok_ok");
  try {
    client_->Charge("charge:o-6", "o-6", 2000, "EUR", "tok_ok");
    FAIL() << "different amount accepted";
  } catch (const ProviderRejected& e) {
    EXPECT_EQ(e.Reason(), RejectReason::kIdempotencyKeyReused);
    EXPECT_EQ(e.HttpStatus(), 422);
  }
  try {
    client_->SendEmail("charge:o-6", "ada@example.com", "order_confirmed", "o-6", "s", "b");
    FAIL() << "key reused across endpoints accepted";
  } catch (const ProviderRejected& e) {
    EXPECT_EQ(e.Reason(), RejectReason::kIdempotencyKeyReused);
  }
  const HttpResult raw = Http("POST", "/v1/charges", R"({"order_id":"o-6","amount_minor":1,"currency":"EUR","token":"tok_ok"})",
                              "charge:o-6");
  EXPECT_EQ(raw.status, 422);
  EXPECT_EQ(raw.content_type, "application/problem+json");
  EXPECT_EQ(raw.body["status"], 422);
  EXPECT_EQ(raw.body["type"], "urn:choreo:provider:idempotency-key-reused");

  // The original request still replays, and nothing else was charged.
  EXPECT_EQ(client_->Charge("charge:o-6", "o-6", 1000, "EUR", "tok_ok").charge_id, first.charge_id);
  const json ledger = Ledger();
  EXPECT_EQ(ledger["charges"].size(), 1u);
  EXPECT_TRUE(ledger["emails"].empty());
}

TEST_P(ProviderIt, RefundHappensOnceAndNeverExceedsTheCharge) {
  const ChargeResult charge = client_->Charge("charge:o-7", "o-7", 1000, "EUR", "tok_ok");
  const RefundResult first = client_->Refund("refund:o-7", charge.charge_id, 600, "shipment_rejected");
  EXPECT_EQ(first.refund_id.rfind("re_", 0), 0u) << first.refund_id;
  const RefundResult again = client_->Refund("refund:o-7", charge.charge_id, 600, "shipment_rejected");
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.refund_id, first.refund_id);

  // 600 of 1000 refunded: 500 more would exceed the capture, 400 fits exactly.
  try {
    client_->Refund("refund:o-7:b", charge.charge_id, 500, "goodwill");
    FAIL() << "over-refund accepted";
  } catch (const ProviderRejected& e) {
    EXPECT_EQ(e.Reason(), RejectReason::kConflict);
    EXPECT_EQ(e.HttpStatus(), 409);
  }
  EXPECT_NO_THROW(client_->Refund("refund:o-7:c", charge.charge_id, 400, "goodwill"));

  try {
    client_->Refund("refund:nope", "ch_does_not_exist", 1, "x");
    FAIL() << "refund of an unknown charge accepted";
  } catch (const ProviderRejected& e) {
    EXPECT_EQ(e.Reason(), RejectReason::kNotFound);
  }
  const ChargeResult declined = client_->Charge("charge:o-8", "o-8", 1000, "EUR", "tok_decline");
  EXPECT_THROW(client_->Refund("refund:o-8", declined.charge_id, 1, "x"), ProviderRejected);

  const json ledger = Ledger();
  ASSERT_EQ(ledger["refunds"].size(), 2u) << ledger.dump();
  std::int64_t total = 0;
  for (const json& refund : ledger["refunds"]) {
    EXPECT_EQ(refund["charge_id"], charge.charge_id);
    total += refund["amount_minor"].get<std::int64_t>();
  }
  EXPECT_EQ(total, 1000);
}

TEST_P(ProviderIt, EmailsAreIdempotent) {
  const EmailResult first =
      client_->SendEmail("email:o-9:confirmed", "ada@example.com", "order_confirmed", "o-9", "Your order", "Thanks");
  EXPECT_EQ(first.email_id.rfind("em_", 0), 0u) << first.email_id;
  const EmailResult again =
      client_->SendEmail("email:o-9:confirmed", "ada@example.com", "order_confirmed", "o-9", "Your order", "Thanks");
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.email_id, first.email_id);
  client_->SendEmail("email:o-10:cancelled", "bob@example.com", "order_cancelled", "o-10", "Sorry", "");

  const json ledger = Ledger();
  ASSERT_EQ(ledger["emails"].size(), 2u) << ledger.dump();
  std::set<std::string> keys;
  for (const json& email : ledger["emails"]) keys.insert(email["idempotency_key"].get<std::string>());
  EXPECT_EQ(keys, (std::set<std::string>{"email:o-9:confirmed", "email:o-10:cancelled"}));
}

TEST_P(ProviderIt, ConcurrentChargesWithOneKeyChargeOnce) {
  constexpr int kThreads = 8;
  std::latch start(kThreads);
  std::vector<std::string> charge_ids(kThreads);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      try {
        charge_ids[i] = client_->Charge("charge:o-11", "o-11", 4200, "EUR", "tok_ok").charge_id;
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_EQ(errors[i], "") << "thread " << i;
    EXPECT_EQ(charge_ids[i], charge_ids[0]) << "thread " << i;
  }
  const json ledger = Ledger();
  ASSERT_EQ(ledger["charges"].size(), 1u) << ledger.dump();
  EXPECT_EQ(ledger["charges"][0]["charge_id"], charge_ids[0]);
}

TEST_P(ProviderIt, BurstOf5xxHasNoEffectThenTheSameKeySucceeds) {
  SetFaults({{"burst_5xx", 2}});
  EXPECT_EQ(Http("GET", "/v1/faults").body["burst_5xx"], 2);
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      client_->Charge("charge:o-12", "o-12", 300, "EUR", "tok_ok");
      FAIL() << "fault not injected";
    } catch (const ProviderUnavailable& e) {
      EXPECT_EQ(e.HttpStatus(), 503);
    }
  }
  json ledger = Ledger();
  EXPECT_TRUE(ledger["charges"].empty()) << ledger.dump();
  EXPECT_EQ(Http("GET", "/v1/faults").body["burst_5xx"], 0);

  const ChargeResult charge = client_->Charge("charge:o-12", "o-12", 300, "EUR", "tok_ok");
  EXPECT_TRUE(charge.Captured());
  EXPECT_FALSE(charge.replayed);
  EXPECT_EQ(Ledger()["charges"].size(), 1u);
}

TEST_P(ProviderIt, ErrorRateOneFailsEveryMutationButNotReads) {
  SetFaults({{"error_rate", 1.0}});
  EXPECT_THROW(client_->SendEmail("email:o-13", "ada@example.com", "t", "o-13", "s", "b"), ProviderUnavailable);
  EXPECT_THROW(client_->Charge("charge:o-13", "o-13", 1, "EUR", "tok_ok"), ProviderUnavailable);
  const json ledger = Ledger();
  EXPECT_TRUE(ledger["emails"].empty());
  EXPECT_TRUE(ledger["charges"].empty());
  SetFaults(json::object());
  EXPECT_NO_THROW(client_->SendEmail("email:o-13", "ada@example.com", "t", "o-13", "s", "b"));
}

TEST_P(ProviderIt, TimeoutAfterTheEffectIsRepairedByRetryingWithTheSameKey) {
  SetFaults({{"latency_ms", 1500}});
  ProviderClient impatient(ProviderClientOptions{.base_url = server_->BaseUrl(), .timeout = 200ms});
  EXPECT_THROW(impatient.Charge("charge:o-14", "o-14", 900, "EUR", "tok_ok"), ProviderUnavailable);
  SetFaults(json::object());
  const ChargeResult retry = client_->Charge("charge:o-14", "o-14", 900, "EUR", "tok_ok");
  EXPECT_TRUE(retry.Captured());
  EXPECT_TRUE(retry.replayed) << "the timed-out call had already charged";
  EXPECT_EQ(Ledger()["charges"].size(), 1u);
}

TEST_P(ProviderIt, BadRequestsGetProblemJsonAndNoEffect) {
  const std::string charge = R"({"order_id":"o-15","amount_minor":100,"currency":"EUR","token":"tok_ok"})";

  HttpResult r = Http("POST", "/v1/charges", "{not json", "k-1");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.content_type, "application/problem+json");
  EXPECT_EQ(r.body["status"], 400);
  EXPECT_TRUE(r.body.contains("detail"));

  r = Http("POST", "/v1/charges", charge);
  EXPECT_EQ(r.status, 400) << "missing Idempotency-Key";
  EXPECT_NE(r.body["detail"].get<std::string>().find("Idempotency-Key"), std::string::npos);

  r = Http("POST", "/v1/charges", R"({"order_id":"o-15","amount_minor":1.5,"currency":"EUR","token":"tok_ok"})", "k-2");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body["detail"].get<std::string>().find("amount_minor"), std::string::npos);

  r = Http("POST", "/v1/refunds", R"({"charge_id":"ch_1"})", "k-3");
  EXPECT_EQ(r.status, 400);
  r = Http("POST", "/v1/emails", R"({"to":"nobody"})", "k-4");
  EXPECT_EQ(r.status, 400);

  r = Http("POST", "/v1/charges", charge, "k-5", "text/plain");
  EXPECT_EQ(r.status, 415);
  r = Http("POST", "/v1/charges", std::string(5000, ' ') + charge, "k-6");
  EXPECT_EQ(r.status, 413);

  r = Http("GET", "/v1/refunds");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.allow, "POST");
  r = Http("DELETE", "/v1/charges");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.allow, "GET, POST");
  r = Http("GET", "/v1/charges");  // the look-up without its key
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.content_type, "application/problem+json");
  r = Http("GET", "/v1/nothing");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.content_type, "application/problem+json");

  r = Http("POST", "/v1/faults", R"({"error_rate":2})");
  EXPECT_EQ(r.status, 400);

  r = Http("GET", "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body["status"], "ok");

  const json ledger = Ledger();
  EXPECT_TRUE(ledger["charges"].empty());
  EXPECT_TRUE(ledger["refunds"].empty());
  EXPECT_TRUE(ledger["emails"].empty());

  // A rejected request does not burn its key.
  EXPECT_EQ(Http("POST", "/v1/charges", charge, "k-2").status, 201);
}

TEST_P(ProviderIt, ChargeLookUpFindsWhatTheKeyChargedAndChargesNothing) {
  EXPECT_FALSE(client_->FindCharge("charge:o-20").has_value());

  const ChargeResult charge = client_->Charge("charge:o-20", "o-20", 1234, "EUR", "tok_ok");
  std::optional<ChargeResult> found = client_->FindCharge("charge:o-20");
  ASSERT_TRUE(found.has_value());
  EXPECT_TRUE(found->Captured());
  EXPECT_EQ(found->charge_id, charge.charge_id);
  EXPECT_EQ(found->amount_minor, 1234);
  EXPECT_EQ(found->currency, "EUR");
  EXPECT_FALSE(found->replayed);

  client_->Charge("charge:o-21", "o-21", 500, "EUR", "tok_decline");
  found = client_->FindCharge("charge:o-21");
  ASSERT_TRUE(found.has_value());
  EXPECT_FALSE(found->Captured());
  EXPECT_EQ(found->decline_reason, "card_declined");
  EXPECT_EQ(found->amount_minor, 500);

  // Characters that mean something in a query string reach the ledger unchanged.
  const std::string odd_key = "charge:a&b=c+d/e?f#g%h";
  const ChargeResult odd = client_->Charge(odd_key, "o-22", 1, "EUR", "tok_ok");
  found = client_->FindCharge(odd_key);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->charge_id, odd.charge_id);
  EXPECT_FALSE(client_->FindCharge("charge:a").has_value());

  const HttpResult raw = Http("GET", "/v1/charges?idempotency_key=charge:o-20");
  EXPECT_EQ(raw.status, 200);
  EXPECT_EQ(raw.body["idempotency_key"], "charge:o-20");
  EXPECT_EQ(raw.body["order_id"], "o-20");
  EXPECT_EQ(Http("GET", "/v1/charges?idempotency_key=charge:o-99").content_type, "application/problem+json");
  EXPECT_EQ(Http("GET", "/v1/charges?idempotency_key=").status, 400);

  // A read: it claimed no key, so a later charge with a looked-up key still charges.
  EXPECT_EQ(Ledger()["charges"].size(), 3u);
  EXPECT_FALSE(client_->Charge("charge:o-99", "o-99", 1, "EUR", "tok_ok").replayed);
}

// A real provider fails reads too: the caller must take that as "unknown", never as "no
// charge".
TEST_P(ProviderIt, ChargeLookUpIsSubjectToInjectedFaults) {
  client_->Charge("charge:o-23", "o-23", 100, "EUR", "tok_ok");
  SetFaults({{"burst_5xx", 1}});
  try {
    client_->FindCharge("charge:o-23");
    FAIL() << "fault not injected";
  } catch (const ProviderUnavailable& e) {
    EXPECT_EQ(e.HttpStatus(), 503);
  }
  EXPECT_TRUE(client_->FindCharge("charge:o-23").has_value());
}

TEST_P(ProviderIt, UnreachableProviderIsUnavailable) {
  std::uint16_t closed_port = 0;
  {
    Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", 0));
    closed_port = probe.address().port();
  }
  ProviderClient client(ProviderClientOptions{.base_url = "http://127.0.0.1:" + std::to_string(closed_port),
                                              .timeout = 1s});
  try {
    client.Charge("charge:o-16", "o-16", 100, "EUR", "tok_ok");
    FAIL() << "charge against a closed port succeeded";
  } catch (const ProviderUnavailable& e) {
    EXPECT_EQ(e.HttpStatus(), 0) << e.what();
  }
  EXPECT_THROW(client.FindCharge("charge:o-16"), ProviderUnavailable);
}

TEST_P(ProviderIt, LedgerOutlivesAProviderRestart) {
  const ChargeResult before = client_->Charge("charge:o-17", "o-17", 100, "EUR", "tok_ok");
  client_.reset();
  server_.reset();
  StartServer();
  const ChargeResult after = client_->Charge("charge:o-17", "o-17", 100, "EUR", "tok_ok");
  EXPECT_TRUE(after.replayed);
  EXPECT_EQ(after.charge_id, before.charge_id);
  EXPECT_EQ(Ledger()["charges"].size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Stores, ProviderIt, ::testing::Values(testing::DbKind::kSqlite, testing::DbKind::kPostgres),
                         [](const ::testing::TestParamInfo<testing::DbKind>& info) {
                           return testing::DbKindName(info.param);
                         });

}  // namespace
}  // namespace choreo::provider
