// The console's JSON API against the test broker: a dead-letter queue seeded as the
// runtime writes it, the console in process on an ephemeral port, and a worker's admin
// endpoint (choreo::http::AdminServer with its own metrics registry) standing in for a
// running worker. Groups, messages, the confirmation rule (nothing is replayed without
// "confirm": true), the replay itself (the group leaves the DLQ and arrives at its work
// queue) and the workers' view from a run record.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "choreo/admin/console.hpp"
#include "choreo/testing/test_database.hpp"
#include "choreo/http/admin_server.hpp"
#include "choreo/metrics/metrics.hpp"
#include "choreo/testing/http_client.hpp"
#include "choreo/testing/testing.hpp"
#include "support.hpp"

namespace choreo::admin {
namespace {

using choreo::testing::HttpResult, choreo::testing::Request, choreo::testing::WaitFor;
using nlohmann::json;
using std::chrono::seconds;

constexpr const char* kDlq = "order.dlq";
constexpr const char* kWorkQueue = "order";
constexpr const char* kPoisonClass = "contract_violation";
constexpr const char* kPoisonMessage = "payload.lines[0].quantity must be >= 1";

class ConsoleTest : public testing::VhostTest {
 protected:
  void SetUp() override {
    OpenVhost("console", "console-test");
    testing::DeclareWorker(*connection_, "order");
    var_dir_ = std::filesystem::temp_directory_path() / choreo::testing::UniqueName("console-var");
    std::filesystem::create_directories(var_dir_ / "run");
  }
  void TearDown() override {
    console_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(var_dir_, ignored);
  }

  void StartConsole() {
    ConsoleOptions options;
    options.port = 0;
    options.endpoints = endpoints_;
    options.var_dir = var_dir_.string();
    options.worker_timeout = std::chrono::milliseconds(1000);
    console_ = std::make_unique<Console>(options);
    console_->Start();
  }

  HttpResult Get(const std::string& path) { return Request(console_->Port(), "GET", path); }
  HttpResult PostJson(const std::string& path, const json& body) {
    return Request(console_->Port(), "POST", path, body.dump(), "application/json");
  }

  // Two poison messages of one failure group, one of another.
  std::vector<std::string> SeedGroups() {
    std::vector<testing::DeadLetterSeed> seeds(3);
    std::vector<std::string> ids;
    for (int i = 0; i < 3; ++i) {
      seeds[i].message = testing::OrderPlaced("ord-console-" + std::to_string(i), /*poison=*/true);
      ids.push_back(seeds[i].message.message_id);
    }
    seeds[2].error_class = "permanent";
    seeds[2].error_message = "unknown sku sku-404";
    testing::SeedDeadLetters(*connection_, kDlq, seeds);
    return ids;
  }

  uint32_t Depth(const std::string& queue) { return connection_->InspectQueue(queue).message_count; }

  std::filesystem::path var_dir_;
  std::unique_ptr<Console> console_;
};

TEST_F(ConsoleTest, GroupsMessagesAndAReplayThatNeedsConfirmation) {
  const std::vector<std::string> ids = SeedGroups();
  StartConsole();

  const HttpResult queues = Get("/api/dlq");
  ASSERT_EQ(queues.status, 200) << queues.body;
  bool listed = false;
  const json list = queues.Json()["queues"];
  for (const json& q : list) {
    if (q["queue"] == kDlq) {
      listed = true;
      EXPECT_EQ(q["messages"], 3);
      EXPECT_FALSE(q["oldest_age_seconds"].is_null());
    }
  }
  EXPECT_TRUE(listed) << queues.body;

  const HttpResult groups = Get("/api/dlq/order.dlq/groups");
  ASSERT_EQ(groups.status, 200) << groups.body;
  const json g = groups.Json()["groups"];
  ASSERT_EQ(g.size(), 2u) << groups.body;
  EXPECT_EQ(g[0]["error_class"], kPoisonClass);
  EXPECT_EQ(g[0]["error_message"], kPoisonMessage);
  EXPECT_EQ(g[0]["count"], 2);
  EXPECT_EQ(g[1]["count"], 1);

  const std::string group_query = "?error_class=" + choreo::testing::UrlEncode(kPoisonClass) +
                                  "&error_message=" + choreo::testing::UrlEncode(kPoisonMessage);
  const HttpResult messages = Get("/api/dlq/order.dlq/messages" + group_query);
  ASSERT_EQ(messages.status, 200) << messages.body;
  const json m = messages.Json()["messages"];
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0]["message_id"], ids[0]);
  EXPECT_EQ(m[0]["worker"], "order");
  EXPECT_EQ(m[0]["attempts"], 1);
  EXPECT_FALSE(m[0]["dead_lettered_at"].get<std::string>().empty());
  EXPECT_EQ(m[0]["body"]["payload"]["poison"], true);

  const json group = {{"error_class", kPoisonClass}, {"error_message", kPoisonMessage}};
  // Not JSON: refused before anything is read.
  const HttpResult as_form = Request(console_->Port(), "POST", "/api/dlq/order.dlq/replay",
                                     "error_class=x&confirm=true", "application/x-www-form-urlencoded");
  EXPECT_EQ(as_form.status, 415) << as_form.body;
  // No confirmation: the count, nothing replayed.
  const HttpResult unconfirmed = PostJson("/api/dlq/order.dlq/replay", group);
  ASSERT_EQ(unconfirmed.status, 409) << unconfirmed.body;
  EXPECT_EQ(unconfirmed.Header("content-type"), "application/problem+json");
  EXPECT_EQ(unconfirmed.Json()["would_replay"], 2);
  json not_true = group;
  not_true["confirm"] = "true";
  EXPECT_EQ(PostJson("/api/dlq/order.dlq/replay", not_true).status, 400);
  EXPECT_EQ(Depth(kDlq), 3u);
  EXPECT_EQ(Depth(kWorkQueue), 0u);

  json confirmed = group;
  confirmed["confirm"] = true;
  const HttpResult replayed = PostJson("/api/dlq/order.dlq/replay", confirmed);
  ASSERT_EQ(replayed.status, 200) << replayed.body;
  EXPECT_EQ(replayed.Json()["replayed"], 2);
  EXPECT_EQ(replayed.Json()["failed"], 0);
  // The group left the DLQ; the other group stayed; both messages reached their queue.
  EXPECT_EQ(Depth(kDlq), 1u);
  ASSERT_TRUE(WaitFor([&] { return Depth(kWorkQueue) == 2; }, seconds(10)));
  const std::vector<std::string> arrived = testing::Peek(*connection_, kWorkQueue);
  EXPECT_EQ(std::set<std::string>(arrived.begin(), arrived.end()), (std::set<std::string>{ids[0], ids[1]}));
  const HttpResult after = Get("/api/dlq/order.dlq/groups");
  ASSERT_EQ(after.Json()["groups"].size(), 1u);
  EXPECT_EQ(after.Json()["groups"][0]["error_class"], "permanent");

  // One message by id.
  const HttpResult one = PostJson("/api/dlq/order.dlq/replay", {{"message_id", ids[2]}, {"confirm", true}});
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.Json()["replayed"], 1);
  EXPECT_EQ(Depth(kDlq), 0u);
}

TEST_F(ConsoleTest, PagesErrorsAndUnknownRoutes) {
  SeedGroups();
  StartConsole();
  const HttpResult page = Get("/dlq/order.dlq");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(page.Header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(page.Header("content-security-policy").find("script-src 'self'"), std::string::npos);
  EXPECT_NE(page.body.find("payload.lines[0].quantity must be &gt;= 1"), std::string::npos) << "escaped";

  const HttpResult confirm = Get("/dlq/order.dlq/replay?error_class=permanent&error_message=" +
                                 choreo::testing::UrlEncode("unknown sku sku-404"));
  ASSERT_EQ(confirm.status, 200) << confirm.body;
  EXPECT_NE(confirm.body.find("Replay 1 message from order.dlq?"), std::string::npos) << confirm.body;
  EXPECT_EQ(Depth(kDlq), 3u) << "the confirmation page replays nothing";

  const HttpResult missing = Get("/api/dlq/nothing-here.dlq/groups");
  EXPECT_EQ(missing.status, 404) << missing.body;
  EXPECT_EQ(missing.Header("content-type"), "application/problem+json");
  const HttpResult not_dlq = Get("/api/dlq/order/groups");
  EXPECT_EQ(not_dlq.status, 404) << not_dlq.body;
  const HttpResult unknown = Get("/api/nope");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.Header("content-type"), "application/problem+json");
  EXPECT_EQ(Request(console_->Port(), "GET", "/", "", "", {{"Host", "evil.example:8070"}}).status, 403);
  const HttpResult cross = Request(console_->Port(), "POST", "/api/dlq/order.dlq/replay",
                                   R"({"confirm":true})", "application/json", {{"Origin", "http://evil.example"}});
  EXPECT_EQ(cross.status, 403);
  EXPECT_EQ(Depth(kDlq), 3u);

  // An order no recorded store knows (the timeline itself: trace_e2e_it, in a browser).
  const HttpResult timeline = Get("/orders/ord-1");
  EXPECT_EQ(timeline.status, 404);
  EXPECT_NE(timeline.body.find("No store read knows this order"), std::string::npos) << timeline.body;
  EXPECT_EQ(Get("/api/orders/ord-1").status, 404);
  const HttpResult document = Get("/api/openapi.yaml");
  ASSERT_EQ(document.status, 200);
  EXPECT_NE(document.body.find("/api/dlq/{queue}/replay:"), std::string::npos);
}

TEST_F(ConsoleTest, WorkersFromTheRunRecordDownIsAnAnswer) {
  metrics::Registry registry;
  registry.GetGauge("choreo_circuit_state", "Circuit breaker state: 0 closed, 1 half-open, 2 open",
                    {{"worker", "payment"}, {"circuit", "store"}}).Set(0);
  registry.GetGauge("choreo_circuit_state", "Circuit breaker state: 0 closed, 1 half-open, 2 open",
                    {{"worker", "payment"}, {"circuit", "provider"}}).Set(2);
  http::AdminServer worker(http::AdminServerOptions{}, registry, [] { return std::string("circuit 'provider' open"); });
  worker.Start();
  const int dead_port = choreo::testing::FreePort();
  std::ofstream(var_dir_ / "run" / "record")
      << "profile embedded\n"
      << "service worker payment-worker " << worker.Port() << " /tmp/payment.log\n"
      << "service worker order-worker " << dead_port << " /tmp/order.log\n"
      << "service provider provider 8090 /tmp/provider.log\n";
  StartConsole();

  const HttpResult workers = Get("/api/workers");
  ASSERT_EQ(workers.status, 200) << workers.body;
  const json w = workers.Json()["workers"];
  ASSERT_EQ(w.size(), 2u) << workers.body;
  EXPECT_EQ(w[0]["name"], "payment-worker");
  EXPECT_TRUE(w[0]["up"]);
  EXPECT_FALSE(w[0]["ready"]);
  EXPECT_EQ(w[0]["reason"], "circuit 'provider' open");
  ASSERT_EQ(w[0]["circuits"].size(), 2u);
  EXPECT_EQ(w[0]["circuits"][0]["circuit"], "provider");
  EXPECT_EQ(w[0]["circuits"][0]["state"], "open");
  EXPECT_EQ(w[0]["circuits"][1]["state"], "closed");
  EXPECT_EQ(w[1]["name"], "order-worker");
  EXPECT_FALSE(w[1]["up"]);

  const HttpResult page = Get("/workers");
  ASSERT_EQ(page.status, 200) << "a worker that is down is shown, not an error";
  EXPECT_NE(page.body.find("provider: open"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find(">down<"), std::string::npos);

  const HttpResult outbox = Get("/api/outbox");
  ASSERT_EQ(outbox.status, 200);
  EXPECT_TRUE(outbox.Json()["components"].empty()) << "no store recorded";
}

TEST_F(ConsoleTest, OutboxOfEveryRecordedStoreAnUnreadableOneSaysSo) {
  choreo::testing::TestDatabase db(choreo::testing::DbKind::kSqlite, "console-outbox");
  testing::AddPendingOutboxRows(db.Url(), 2);
  std::ofstream(var_dir_ / "run" / "record") << "profile embedded\n"
                                             << "store payment sqlite:" << (var_dir_ / "missing" / "p.db").string() << "\n"
                                             << "store order " << db.Url() << "\n";
  StartConsole();
  const HttpResult outbox = Get("/api/outbox");
  ASSERT_EQ(outbox.status, 200) << outbox.body;
  const json c = outbox.Json()["components"];
  ASSERT_EQ(c.size(), 2u) << outbox.body;
  EXPECT_EQ(c[0]["component"], "order") << "in the audit's order";
  EXPECT_EQ(c[0]["pending"], 2);
  EXPECT_EQ(c[0]["failing"], 0);
  EXPECT_FALSE(c[0]["oldest_pending_age_seconds"].is_null());
  EXPECT_EQ(c[1]["component"], "payment");
  EXPECT_FALSE(c[1]["error"].get<std::string>().empty());

  const HttpResult page = Get("/outbox");
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("unreadable"), std::string::npos) << page.body;
}

}  // namespace
}  // namespace choreo::admin
