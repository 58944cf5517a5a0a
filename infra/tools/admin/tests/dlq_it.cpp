// choreo-admin against the real broker: a poison message through the whole cycle, filters,
// purge, list, unroutable replays, argument and queue errors, outbox status. Both the
// library (in process) and the built binary are exercised.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "choreo/admin/admin.hpp"
#include "choreo/contracts/dead_letter.hpp"
#include "choreo/contracts/envelope.hpp"
#include "choreo/contracts/time.hpp"
#include "choreo/outbox/outbox.hpp"
#include "choreo/testing/test_database.hpp"
#include "choreo/testing/testing.hpp"
#include "support.hpp"

namespace choreo::admin {
namespace {

namespace dl = contracts::dead_letter;
using choreo::testing::DbKind, choreo::testing::RequireEnv, choreo::testing::TestDatabase, choreo::testing::WaitFor;
using std::chrono::milliseconds, std::chrono::seconds;
using testing::DeadLetterSeed, testing::RunBinary, testing::RunResult;

constexpr const char* kDlq = "order.dlq";
constexpr const char* kWorkQueue = "order";

std::string RfcAgo(std::chrono::seconds ago) {
  return contracts::FormatRfc3339(std::chrono::system_clock::now() - ago);
}

// A fresh vhost per test with the order worker's topology, as the runtime declares it.
class AdminDlqTest : public testing::VhostTest {
 protected:
  void SetUp() override {
    OpenVhost("admin", "admin-test");
    testing::DeclareWorker(*connection_, "order");
  }

  RunResult Admin(std::vector<std::string> args, const std::string& stdin_text = "") {
    // First, so that a test's own --amqp-url / --mgmt-url (later, so winning) overrides.
    args.insert(args.begin(), "--mgmt-url=" + RequireEnv("CHOREO_TEST_MGMT_URL"));
    args.insert(args.begin(), "--amqp-url=" + vhost_->AmqpUrl());
    return RunBinary(CHOREO_ADMIN_BINARY, args, stdin_text,
                     {{"CHOREO_AMQP_URL", ""}, {"CHOREO_MGMT_URL", ""}, {"USER", "oncall"}});
  }

  uint32_t Depth(const std::string& queue) { return connection_->InspectQueue(queue).message_count; }

  // Seeds dead letters with a mix of types, error classes and ages; returns their ids.
  std::vector<std::string> SeedMix() {
    struct Spec {
      const char* type;
      const char* error_class;
      int age_minutes;
    };
    const Spec specs[] = {
        {"order.placed", "contract_violation", 5},   {"order.placed", "permanent", 180},
        {"inventory.reserved", "permanent", 5},         {"order.placed", "transient_exhausted", 240},
        {"inventory.reserved", "contract_violation", 300}, {"order.placed", "permanent", 2},
    };
    std::vector<DeadLetterSeed> seeds;
    std::vector<std::string> ids;
    int n = 0;
    for (const Spec& s : specs) {
      DeadLetterSeed seed;
      seed.message = testing::OrderPlaced("ord-" + std::to_string(n++));
      seed.message.type = s.type;
      seed.original_routing_key = s.type;
      seed.original_exchange = std::string(s.type).starts_with("order.") ? "orders" : "inventory";
      seed.error_class = s.error_class;
      seed.error_message = std::string(s.error_class) + " failure";
      seed.dead_lettered_at = RfcAgo(std::chrono::minutes(s.age_minutes));
      ids.push_back(seed.message.message_id);
      seeds.push_back(std::move(seed));
    }
    testing::SeedDeadLetters(*connection_, kDlq, seeds);
    return ids;
  }

  std::set<std::string> Ids(const std::vector<MessageOutcome>& outcomes, Action action) {
    std::set<std::string> out;
    for (const auto& o : outcomes) {
      if (o.action == action) out.insert(o.message_id);
    }
    return out;
  }
};

// The operator's main story (docs/operations.md): poison -> DLQ -> show -> dry run -> fix ->
// replay -> applied once.
TEST_F(AdminDlqTest, PoisonMessageIsShownDryRunChangesNothingReplayAppliesItOnce) {
  TestDatabase db(DbKind::kSqlite, "admin-worker");
  testing::FakeWorker worker(vhost_->AmqpUrl(), db.Url(), kWorkQueue);
  worker.Start();

  amqp::Message good1 = testing::OrderPlaced("ord-good-1");
  amqp::Message poison = testing::OrderPlaced("ord-poison", /*poison=*/true);
  amqp::Message good2 = testing::OrderPlaced("ord-good-2");
  testing::PublishConfirmed(*connection_, "orders", "order.placed", {good1, poison, good2});

  ASSERT_TRUE(WaitFor([&] { return worker.Effects().size() == 2 && Depth(kDlq) == 1; }, seconds(20)))
      << worker.Error();
  EXPECT_EQ(worker.Effects().count(poison.message_id), 0u);

  // show reports the reason (library and binary).
  ShowReport shown = Show(endpoints_, {.queue = kDlq});
  ASSERT_EQ(shown.messages.size(), 1u);
  const DeadLetter& letter = shown.messages[0];
  EXPECT_EQ(letter.message_id, poison.message_id);
  EXPECT_EQ(letter.event_type, "order.placed");
  EXPECT_EQ(letter.correlation_id, "ord-poison");
  EXPECT_EQ(letter.error_class, "contract_violation");
  EXPECT_EQ(letter.error_message, "payload.lines[0].quantity must be >= 1");
  EXPECT_EQ(letter.worker, "order");
  EXPECT_EQ(letter.original_exchange, "orders");
  EXPECT_EQ(letter.original_routing_key, "order.placed");
  EXPECT_EQ(letter.attempts, 1);
  EXPECT_TRUE(letter.dead_lettered_time.has_value());

  RunResult text = Admin({"dlq", "show", kDlq});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find(poison.message_id), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("contract_violation"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("payload.lines[0].quantity must be >= 1"), std::string::npos);
  EXPECT_NE(text.out.find("orders / order.placed"), std::string::npos);
  EXPECT_NE(text.out.find("\"poison\": true"), std::string::npos) << "pretty JSON body";

  RunResult json_show = Admin({"dlq", "show", kDlq, "--json"});
  ASSERT_EQ(json_show.exit_code, 0) << json_show.err;
  nlohmann::json j = nlohmann::json::parse(json_show.out);
  ASSERT_EQ(j["messages"].size(), 1u);
  EXPECT_EQ(j["messages"][0]["error_class"], "contract_violation");
  EXPECT_EQ(j["messages"][0]["body"]["payload"]["poison"], true);

  RunResult grouped = Admin({"dlq", "show", kDlq, "--group-by", "error", "--json"});
  ASSERT_EQ(grouped.exit_code, 0) << grouped.err;
  nlohmann::json g = nlohmann::json::parse(grouped.out);
  ASSERT_EQ(g["groups"].size(), 1u);
  EXPECT_EQ(g["groups"][0]["count"], 1);
  EXPECT_EQ(g["groups"][0]["error_class"], "contract_violation");
  EXPECT_EQ(Depth(kDlq), 1u) << "show must not remove anything";

  // Dry run: lists it, changes nothing. A sentinel published afterwards proves that
  // nothing reached the work queue before it (the queue is FIFO).
  RunResult dry = Admin({"dlq", "replay", kDlq, "--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find("would_replay"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find(poison.message_id), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("DRY RUN"), std::string::npos);
  const std::size_t deliveries_before = worker.Deliveries();
  amqp::Message sentinel = testing::OrderPlaced("ord-sentinel");
  testing::PublishConfirmed(*connection_, "orders", "order.placed", {sentinel});
  ASSERT_TRUE(WaitFor([&] { return worker.Effects().count(sentinel.message_id) == 1; }, seconds(20)));
  EXPECT_EQ(worker.Deliveries(), deliveries_before + 1) << "the dry run published something";
  EXPECT_EQ(Depth(kDlq), 1u);
  EXPECT_EQ(worker.DeadLettered(), 1u);

  // Fix the cause, replay: processed exactly once, with the replay recorded.
  worker.Fix();
  RunResult replay = Admin({"dlq", "replay", kDlq});
  EXPECT_EQ(replay.exit_code, 0) << replay.out << replay.err;
  EXPECT_NE(replay.out.find("replayed 1, skipped 0, failed 0"), std::string::npos) << replay.out;
  ASSERT_TRUE(WaitFor([&] { return worker.Effects().count(poison.message_id) == 1; }, seconds(20)));
  EXPECT_EQ(Depth(kDlq), 0u);
  amqp::FieldTable headers = worker.LastHeaders(poison.message_id);
  EXPECT_EQ(headers.GetInt(dl::kReplayCount), 1);
  EXPECT_EQ(headers.GetString(dl::kReplayedBy).value_or("").rfind("oncall@", 0), 0u);
  EXPECT_TRUE(contracts::ParseRfc3339(headers.GetString(dl::kReplayedAt).value_or("")).has_value());

  // Replaying again finds nothing; every effect happened exactly once.
  RunResult again = Admin({"dlq", "replay", kDlq, "--json"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(nlohmann::json::parse(again.out)["replayed"], 0);
  amqp::Message last = testing::OrderPlaced("ord-last");
  testing::PublishConfirmed(*connection_, "orders", "order.placed", {last});
  ASSERT_TRUE(WaitFor([&] { return worker.Effects().count(last.message_id) == 1; }, seconds(20)));
  for (const auto& [id, count] : worker.Effects()) EXPECT_EQ(count, 1) << id;
  EXPECT_EQ(worker.Effects().size(), 5u);
  worker.Stop();
  EXPECT_EQ(worker.Error(), "");
}

TEST_F(AdminDlqTest, FiltersSelectExactlyTheIntendedMessages) {
  const std::vector<std::string> ids = SeedMix();
  const auto dry = [&](Filter filter, std::optional<std::size_t> limit = std::nullopt) {
    ReplayOptions options{.queue = kDlq, .filter = std::move(filter), .limit = limit, .dry_run = true};
    ReplayReport report = Replay(endpoints_, options);
    EXPECT_EQ(report.failed, 0u);
    EXPECT_EQ(report.examined, limit ? report.examined : ids.size());
    return Ids(report.messages, Action::kWouldReplay);
  };
  using Set = std::set<std::string>;
  EXPECT_EQ(dry({}), Set(ids.begin(), ids.end()));
  EXPECT_EQ(dry({.ids = {ids[1], ids[4]}}), (Set{ids[1], ids[4]}));
  EXPECT_EQ(dry({.types = {"inventory.reserved"}}), (Set{ids[2], ids[4]}));
  EXPECT_EQ(dry({.types = {"order.*"}, .error_classes = {"permanent"}}), (Set{ids[1], ids[5]}));
  EXPECT_EQ(dry({.types = {"*"}, .error_classes = {"permanent"}}), (Set{ids[1], ids[2], ids[5]}));
  EXPECT_EQ(dry({.error_classes = {"contract_violation", "transient_exhausted"}}), (Set{ids[0], ids[3], ids[4]}));
  EXPECT_EQ(dry({.error_message = "transient"}), (Set{ids[3]}));
  EXPECT_EQ(dry({.older_than = std::chrono::hours(1)}), (Set{ids[1], ids[3], ids[4]}));
  EXPECT_EQ(dry({.types = {"order.placed"}, .older_than = std::chrono::hours(1)}), (Set{ids[1], ids[3]}));
  EXPECT_EQ(dry({.error_classes = {"permanent"}}, 2), (Set{ids[1], ids[2]})) << "--limit takes the first";
  EXPECT_EQ(dry({.ids = {"no-such-id"}}), Set{});
  EXPECT_EQ(Depth(kDlq), ids.size()) << "dry runs remove nothing";
  EXPECT_EQ(testing::Peek(*connection_, kDlq), ids) << "dry runs keep the order";

  // The real thing through the binary: only the selected messages leave the DLQ, the
  // rest stay in their order. No worker runs, so the replayed copies wait in the work
  // queue, where we can look at them.
  RunResult run = Admin({"dlq", "replay", kDlq, "--type", "order.placed", "--error", "permanent",
                         "--older-than", "1h", "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  nlohmann::json j = nlohmann::json::parse(run.out);
  EXPECT_EQ(j["replayed"], 1);
  EXPECT_EQ(j["skipped"], 5);
  EXPECT_EQ(j["failed"], 0);
  std::vector<amqp::Message> arrived = testing::Drain(*connection_, kWorkQueue);
  ASSERT_EQ(arrived.size(), 1u);
  EXPECT_EQ(arrived[0].message_id, ids[1]);
  EXPECT_EQ(arrived[0].headers.GetInt(dl::kReplayCount), 1);
  EXPECT_EQ(arrived[0].headers.Find("x-death"), nullptr);
  EXPECT_EQ(testing::Peek(*connection_, kDlq),
            (std::vector<std::string>{ids[0], ids[2], ids[3], ids[4], ids[5]}));

  RunResult by_id = Admin({"dlq", "replay", kDlq, "--id", ids[4] + "," + ids[0]});
  ASSERT_EQ(by_id.exit_code, 0) << by_id.out << by_id.err;
  arrived = testing::Drain(*connection_, kWorkQueue);
  std::set<std::string> arrived_ids;
  for (const auto& m : arrived) arrived_ids.insert(m.message_id);
  EXPECT_EQ(arrived_ids, (Set{ids[0], ids[4]}));
  EXPECT_EQ(testing::Peek(*connection_, kDlq), (std::vector<std::string>{ids[2], ids[3], ids[5]}));
}

TEST_F(AdminDlqTest, ToQueueSendsOnlyToTheOriginalWorkQueue) {
  DeadLetterSeed seed;
  seed.message = testing::OrderPlaced("ord-q");
  testing::SeedDeadLetters(*connection_, kDlq, {seed});
  // A second subscriber of order.placed that must not see the replay.
  connection_->DeclareQueue(amqp::QueueSpec::Quorum("other-subscriber"));
  connection_->Bind({"other-subscriber", "orders", "order.placed", {}});
  ReplayReport report = Replay(endpoints_, {.queue = kDlq, .to_queue = true});
  EXPECT_EQ(report.replayed, 1u);
  ASSERT_EQ(report.messages.size(), 1u);
  EXPECT_EQ(report.messages[0].exchange, "");
  EXPECT_EQ(report.messages[0].routing_key, "order");
  EXPECT_EQ(testing::Drain(*connection_, kWorkQueue).size(), 1u);
  EXPECT_EQ(Depth("other-subscriber"), 0u);
}

TEST_F(AdminDlqTest, MessagesThatCannotBeRepublishedStayInTheDlq) {
  DeadLetterSeed unroutable;
  unroutable.message = testing::OrderPlaced("ord-unroutable");
  unroutable.original_routing_key = "nobody.listens";
  DeadLetterSeed fine1;
  fine1.message = testing::OrderPlaced("ord-fine-1");
  DeadLetterSeed missing_exchange;
  missing_exchange.message = testing::OrderPlaced("ord-missing");
  missing_exchange.original_exchange = "no-such-exchange";
  DeadLetterSeed fine2;
  fine2.message = testing::OrderPlaced("ord-fine-2");
  DeadLetterSeed missing_again = missing_exchange;
  missing_again.message = testing::OrderPlaced("ord-missing-2");
  testing::SeedDeadLetters(*connection_, kDlq, {unroutable, fine1, missing_exchange, fine2, missing_again});

  RunResult run = Admin({"dlq", "replay", kDlq});
  EXPECT_EQ(run.exit_code, 1) << "partial failure: " << run.out << run.err;
  EXPECT_NE(run.out.find("replayed 2, skipped 0, failed 3"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("unroutable"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("no-such-exchange"), std::string::npos) << run.out;
  // The 404 closed only the publishing channel: what stays keeps its order.
  EXPECT_EQ(testing::Peek(*connection_, kDlq),
            (std::vector<std::string>{unroutable.message.message_id, missing_exchange.message.message_id,
                                      missing_again.message.message_id}));
  std::set<std::string> arrived;
  for (const auto& m : testing::Drain(*connection_, kWorkQueue)) arrived.insert(m.message_id);
  EXPECT_EQ(arrived, (std::set<std::string>{fine1.message.message_id, fine2.message.message_id}));
}

TEST_F(AdminDlqTest, PurgeWithAFilterLeavesTheRest) {
  const std::vector<std::string> ids = SeedMix();

  // No --yes: asks; anything but "yes" purges nothing.
  RunResult declined = Admin({"dlq", "purge", kDlq, "--error", "permanent"}, "no\n");
  EXPECT_EQ(declined.exit_code, 1);
  EXPECT_NE(declined.err.find("Purge 3 of 6 messages"), std::string::npos) << declined.err;
  EXPECT_NE(declined.err.find("nothing purged"), std::string::npos) << declined.err;
  EXPECT_EQ(Depth(kDlq), 6u);

  RunResult dry = Admin({"dlq", "purge", kDlq, "--error", "permanent", "--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find("would purge 3, kept 3"), std::string::npos) << dry.out;
  EXPECT_EQ(Depth(kDlq), 6u);

  RunResult confirmed = Admin({"dlq", "purge", kDlq, "--error", "permanent"}, "yes\n");
  EXPECT_EQ(confirmed.exit_code, 0) << confirmed.err;
  EXPECT_NE(confirmed.out.find("purged 3, kept 3"), std::string::npos) << confirmed.out;
  EXPECT_EQ(testing::Peek(*connection_, kDlq), (std::vector<std::string>{ids[0], ids[3], ids[4]}));

  RunResult by_id = Admin({"dlq", "purge", kDlq, "--id", ids[3], "--yes", "--json"});
  EXPECT_EQ(by_id.exit_code, 0) << by_id.err;
  EXPECT_EQ(nlohmann::json::parse(by_id.out)["purged"], 1);
  EXPECT_EQ(testing::Peek(*connection_, kDlq), (std::vector<std::string>{ids[0], ids[4]}));

  PurgeReport all = Purge(endpoints_, {.queue = kDlq});
  EXPECT_EQ(all.purged, 2u);
  EXPECT_EQ(Depth(kDlq), 0u);
  EXPECT_EQ(Depth(kWorkQueue), 0u) << "purge never republishes";
}

TEST_F(AdminDlqTest, ListShowsEveryDlqWithDepthAndOldestAge) {
  testing::DeclareWorker(*connection_, "payment");
  std::vector<DeadLetterSeed> seeds(3);
  for (std::size_t i = 0; i < seeds.size(); ++i) {
    seeds[i].message = testing::OrderPlaced("ord-" + std::to_string(i));
    seeds[i].dead_lettered_at = RfcAgo(std::chrono::hours(2) - std::chrono::minutes(i));
  }
  testing::SeedDeadLetters(*connection_, kDlq, seeds);

  RunResult run = Admin({"dlq", "list", "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  nlohmann::json j = nlohmann::json::parse(run.out);
  EXPECT_EQ(j["source"], "management");
  std::map<std::string, nlohmann::json> by_name;
  for (const auto& q : j["queues"]) by_name[q["queue"]] = q;
  ASSERT_EQ(by_name.size(), 2u) << run.out;  // order.dlq and payment.dlq, nothing else
  EXPECT_EQ(by_name["order.dlq"]["messages"], 3);
  const int64_t age = by_name["order.dlq"]["oldest_age_seconds"];
  EXPECT_GE(age, 7200 - 5);
  EXPECT_LE(age, 7200 + 60);
  EXPECT_EQ(by_name["payment.dlq"]["messages"], 0);
  EXPECT_TRUE(by_name["payment.dlq"]["oldest_age_seconds"].is_null());
  EXPECT_EQ(Depth(kDlq), 3u);

  RunResult text = Admin({"dlq", "list"});
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find("order.dlq"), std::string::npos);
  EXPECT_NE(text.out.find("2h"), std::string::npos) << text.out;

  // Without the management API it still lists the topology's DLQs, with a warning.
  RunResult fallback = Admin({"dlq", "list", "--json", "--mgmt-url=http://127.0.0.1:1"});
  EXPECT_EQ(fallback.exit_code, 0) << fallback.err;
  EXPECT_NE(fallback.err.find("management API"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(fallback.out)["source"], "topology");
}

TEST_F(AdminDlqTest, UnknownQueueAndBadArgumentsGiveExitCodeTwo) {
  RunResult unknown = Admin({"dlq", "show", "nosuch.dlq"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("queue 'nosuch.dlq' does not exist"), std::string::npos) << unknown.err;

  RunResult unknown_replay = Admin({"dlq", "replay", "nosuch.dlq", "--json"});
  EXPECT_EQ(unknown_replay.exit_code, 2);
  EXPECT_NE(nlohmann::json::parse(unknown_replay.out)["error"].get<std::string>().find("does not exist"),
            std::string::npos);

  RunResult unknown_purge = Admin({"dlq", "purge", "nosuch.dlq", "--yes"});
  EXPECT_EQ(unknown_purge.exit_code, 2);

  EXPECT_THROW(Replay(endpoints_, {.queue = "nosuch.dlq"}), UsageError);

  RunResult bad = Admin({"dlq", "replay", kDlq, "--older-than", "yesterday"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--older-than"), std::string::npos);

  RunResult not_dlq = Admin({"dlq", "purge", kWorkQueue, "--yes"});
  EXPECT_EQ(not_dlq.exit_code, 2);
  EXPECT_NE(not_dlq.err.find("not a dead-letter queue"), std::string::npos);

  RunResult no_vhost = RunBinary(CHOREO_ADMIN_BINARY,
                                 {"dlq", "show", kDlq, "--amqp-url",
                                  RequireEnv("CHOREO_TEST_AMQP_URL") + "/no-such-vhost-here"});
  EXPECT_EQ(no_vhost.exit_code, 2) << no_vhost.err;
  EXPECT_NE(no_vhost.err.find("vhost"), std::string::npos) << no_vhost.err;

  // Unreachable broker: a failure (1), said plainly.
  RunResult down = RunBinary(CHOREO_ADMIN_BINARY,
                             {"dlq", "show", kDlq, "--amqp-url", "amqp://guest:guest@127.0.0.1:1/"});
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_NE(down.err.find("cannot reach the broker at 127.0.0.1:1"), std::string::npos) << down.err;

  RunResult help = Admin({"dlq", "purge", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--yes"), std::string::npos);
}

TEST(AdminOutbox, StatusReportsPendingRows) {
  TestDatabase db(DbKind::kSqlite, "admin-outbox");
  testing::AddPendingOutboxRows(db.Url(), 3);
  RunResult run = RunBinary(CHOREO_ADMIN_BINARY, {"outbox", "status", "--store", db.Url(), "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  nlohmann::json j = nlohmann::json::parse(run.out);
  EXPECT_EQ(j["pending"], 3);
  EXPECT_EQ(j["failing"], 0);
  EXPECT_FALSE(j["oldest_pending_age_seconds"].is_null());
  EXPECT_TRUE(j["last_sent_at"].is_null());

  RunResult text = RunBinary(CHOREO_ADMIN_BINARY, {"outbox", "status"}, "",
                             {{"CHOREO_STORE_URL", db.Url()}});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("pending         3"), std::string::npos) << text.out;
}

}  // namespace
}  // namespace choreo::admin
