// Pure logic of choreo-admin: header reading, filters, durations, the replay copy,
// grouping, argument errors that never reach a broker.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <tuple>

#include <nlohmann/json.hpp>

#include "choreo/admin/admin.hpp"
#include "choreo/admin/cli.hpp"
#include "choreo/admin/topology.hpp"
#include "choreo/amqp/publisher.hpp"
#include "choreo/contracts/dead_letter.hpp"

namespace choreo::admin {
namespace {

namespace dl = contracts::dead_letter;
using std::chrono::hours, std::chrono::milliseconds, std::chrono::minutes, std::chrono::seconds;

amqp::Message RuntimeDeadLetter(const std::string& id, const std::string& type,
                                const std::string& error_class, const std::string& at) {
  amqp::Message m;
  m.message_id = id;
  m.type = type;
  m.correlation_id = "ord-1";
  m.body = R"({"message_id":")" + id + R"(","type":")" + type + R"(","payload":{"x":1}})";
  m.headers.Set(std::string(dl::kErrorClass), error_class);
  m.headers.Set(std::string(dl::kErrorMessage), std::string("quantity must be >= 1"));
  m.headers.Set(std::string(dl::kWorker), std::string("order"));
  m.headers.Set(std::string(dl::kOriginalExchange), std::string("orders"));
  m.headers.Set(std::string(dl::kOriginalRoutingKey), type);
  m.headers.Set(std::string(dl::kOriginalQueue), std::string("order"));
  m.headers.Set(std::string(dl::kAttempts), int64_t{3});
  m.headers.Set(std::string(dl::kDeadLetteredAt), at);
  return m;
}

contracts::Millis At(const char* text) { return *contracts::ParseRfc3339(text); }

// Where a dead letter says it was headed: exchange, routing key, queue.
using Destination = std::tuple<std::string, std::string, std::string>;
Destination Origin(const DeadLetter& l) { return {l.original_exchange, l.original_routing_key, l.original_queue}; }

TEST(ParseDuration, AcceptsUnitsAndCombinations) {
  EXPECT_EQ(ParseDuration("250ms"), milliseconds(250));
  EXPECT_EQ(ParseDuration("90s"), seconds(90));
  EXPECT_EQ(ParseDuration("15m"), minutes(15));
  EXPECT_EQ(ParseDuration("2h"), hours(2));
  EXPECT_EQ(ParseDuration("7d"), hours(24 * 7));
  EXPECT_EQ(ParseDuration("1h30m"), minutes(90));
}

TEST(ParseDuration, RejectsGarbage) {
  for (const char* bad : {"", "5", "5x", "h", "-5m", "1.5h", "5 m", "99999999999999999999d"}) {
    EXPECT_FALSE(ParseDuration(bad).has_value()) << bad;
  }
}

TEST(FormatAge, IsShortAndReadable) {
  EXPECT_EQ(FormatAge(milliseconds(12)), "12ms");
  EXPECT_EQ(FormatAge(seconds(45)), "45s");
  EXPECT_EQ(FormatAge(seconds(125)), "2m 5s");
  EXPECT_EQ(FormatAge(minutes(134)), "2h 14m");
  EXPECT_EQ(FormatAge(hours(76)), "3d 4h");
  EXPECT_EQ(FormatAge(milliseconds(-5)), "0ms");
}

TEST(GlobMatch, StarMatchesAnyRun) {
  EXPECT_TRUE(GlobMatch("order.*", "order.placed"));
  EXPECT_TRUE(GlobMatch("*.placed", "order.placed"));
  EXPECT_TRUE(GlobMatch("order.placed", "order.placed"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_FALSE(GlobMatch("order.*", "inventory.reserved"));
  EXPECT_FALSE(GlobMatch("order", "order.placed"));
}

TEST(Describe, ReadsTheRuntimeHeaders) {
  DeadLetter l = Describe(RuntimeDeadLetter("m-1", "order.placed", "permanent", "2024-05-01T10:00:00.000Z"));
  EXPECT_EQ(std::tie(l.message_id, l.event_type, l.correlation_id), std::make_tuple("m-1", "order.placed", "ord-1"));
  EXPECT_EQ(std::tie(l.error_class, l.error_message, l.worker),
            std::make_tuple("permanent", "quantity must be >= 1", "order"));
  EXPECT_EQ(Origin(l), (Destination{"orders", "order.placed", "order"}));
  EXPECT_EQ(l.destination_source, "headers");
  EXPECT_EQ(l.attempts, 3);
  EXPECT_EQ(l.replay_count, 0);
  ASSERT_TRUE(l.dead_lettered_time);
  EXPECT_EQ(*l.dead_lettered_time, At("2024-05-01T10:00:00.000Z"));
}

TEST(Describe, FallsBackToTheEnvelopeAndToXDeath) {
  amqp::Message m;
  m.body = R"({"message_id":"m-2","type":"payment.captured","correlation_id":"ord-9"})";
  amqp::FieldTable death;
  death.Set("count", int64_t{1});
  death.Set("reason", std::string("rejected"));
  death.Set("queue", std::string("payment"));
  death.Set("exchange", std::string("payments"));
  death.Set("routing-keys", amqp::FieldArray{std::string("payment.captured")});
  death.Set("time", amqp::Timestamp(std::chrono::seconds(1714557600)));
  m.headers.Set("x-death", amqp::FieldArray{death});
  m.headers.Set("x-first-death-exchange", std::string("payments"));
  m.headers.Set("x-first-death-queue", std::string("payment"));
  m.headers.Set("x-first-death-reason", std::string("rejected"));
  DeadLetter l = Describe(m);
  EXPECT_EQ(l.message_id, "m-2");
  EXPECT_EQ(l.event_type, "payment.captured");
  EXPECT_EQ(l.correlation_id, "ord-9");
  EXPECT_EQ(Origin(l), (Destination{"payments", "payment.captured", "payment"}));
  EXPECT_EQ(l.destination_source, "x-death");
  EXPECT_EQ(l.error_class, "broker:rejected");
  EXPECT_EQ(l.dead_lettered_at, "2024-05-01T10:00:00.000Z");
}

// What the broker puts on a message it dead-letters from `queue` (x-death, most recent
// first, as RabbitMQ keeps it).
amqp::FieldTable Death(const std::string& queue, const std::string& reason, int64_t at_seconds,
                       const std::string& routing_key) {
  amqp::FieldTable death;
  death.Set("count", int64_t{1});
  death.Set("reason", reason);
  death.Set("queue", queue);
  death.Set("exchange", std::string(""));
  death.Set("routing-keys", amqp::FieldArray{routing_key});
  death.Set("time", amqp::Timestamp(std::chrono::seconds(at_seconds)));
  return death;
}

TEST(Describe, ExplainsAMessageTheBrokerDeadLetteredForItsDeliveryLimit) {
  // As RabbitMQ 3.10.8 delivers it from order.dlq: x-death, no x-choreo-* headers.
  amqp::Message m;
  m.message_id = "m-5";
  m.body = R"({"message_id":"m-5","type":"order.placed","correlation_id":"ord-5"})";
  m.headers.Set("x-death", amqp::FieldArray{Death("order", "delivery_limit", 1714557600, "order.placed")});
  m.headers.Set("x-first-death-exchange", std::string("orders"));
  m.headers.Set("x-first-death-queue", std::string("order"));
  m.headers.Set("x-first-death-reason", std::string("delivery_limit"));
  m.headers.Set("x-delivery-count", int64_t{0});  // the DLQ's own count, not the work queue's
  DeadLetter l = Describe(m);
  EXPECT_EQ(l.error_class, "broker:delivery_limit");
  EXPECT_EQ(l.broker_reason, "delivery_limit");
  EXPECT_EQ(Origin(l), (Destination{"orders", "order.placed", "order"}));
  EXPECT_EQ(l.dead_lettered_at, "2024-05-01T10:00:00.000Z");
  // Describe cannot know the queue's limit: the words say so without a number.
  EXPECT_NE(l.error_message.find("without an ack: its consumers crashed or timed out"), std::string::npos)
      << l.error_message;
  EXPECT_EQ(l.error_message.find("delivered 1 "), std::string::npos) << l.error_message;
}

TEST(Describe, ABrokerDeathNewerThanTheRuntimeHeadersWins) {
  // Dead-lettered by the runtime, replayed (x-death stripped, x-choreo-* kept), then its
  // consumer crashed on it until the delivery limit: the broker's reason is the current one.
  amqp::Message m = RuntimeDeadLetter("m-6", "order.placed", "transient_exhausted", "2024-05-01T09:00:00.000Z");
  m.headers.Set("x-death", amqp::FieldArray{Death("order", "delivery_limit", 1714557600, "order.placed")});
  DeadLetter l = Describe(m);
  EXPECT_EQ(l.error_class, "broker:delivery_limit");
  EXPECT_EQ(l.dead_lettered_at, "2024-05-01T10:00:00.000Z");
  EXPECT_EQ(l.destination_source, "headers");  // the runtime knows where it was published
  EXPECT_EQ(l.original_exchange, "orders");
}

TEST(Describe, RetryExpiriesAreNotWhyAMessageIsInTheDlq) {
  // The runtime dead-lettered it after two retries; the retry queues' expiries are history.
  amqp::Message m = RuntimeDeadLetter("m-7", "order.placed", "transient_exhausted", "2024-05-01T10:00:05.000Z");
  m.headers.Set("x-death", amqp::FieldArray{Death("order.retry.2", "expired", 1714557600, "order.retry.2"),
                                            Death("order.retry.1", "expired", 1714557590, "order.retry.1")});
  DeadLetter l = Describe(m);
  EXPECT_EQ(l.error_class, "transient_exhausted");
  EXPECT_EQ(l.error_message, "quantity must be >= 1");
  EXPECT_TRUE(l.broker_reason.empty());
  EXPECT_EQ(l.dead_lettered_at, "2024-05-01T10:00:05.000Z");
}

TEST(ExplainBrokerDeadLetter, SaysHowOftenItWasDeliveredWithoutAnAck) {
  // A quorum queue dead-letters a message when it comes back for the (limit + 1)-th time.
  EXPECT_EQ(ExplainBrokerDeadLetter("delivery_limit", 3),
            "delivered 4 times without an ack: its consumers crashed or timed out (delivery limit 3)");
  EXPECT_EQ(ExplainBrokerDeadLetter("delivery_limit", 50).substr(0, 18), "delivered 51 times");
  EXPECT_EQ(ExplainBrokerDeadLetter("delivery_limit", std::nullopt),
            "delivered more often than its queue's delivery limit allows, without an ack: its "
            "consumers crashed or timed out");
  EXPECT_NE(ExplainBrokerDeadLetter("rejected", std::nullopt).find("rejected"), std::string::npos);
  EXPECT_NE(ExplainBrokerDeadLetter("something_new", std::nullopt).find("'something_new'"), std::string::npos);
}

TEST(EffectiveDeliveryLimit, FollowsRabbitMqsRules) {
  EXPECT_EQ(EffectiveDeliveryLimit(std::nullopt, 3, "3.10.8"), 3);
  EXPECT_EQ(EffectiveDeliveryLimit(7, std::nullopt, "3.10.8"), 7);
  EXPECT_EQ(EffectiveDeliveryLimit(7, 3, "3.10.8"), 3);   // the smaller wins
  EXPECT_EQ(EffectiveDeliveryLimit(-1, 3, "4.1.0"), 3);   // unlimited loses to a limit
  EXPECT_EQ(EffectiveDeliveryLimit(std::nullopt, -1, "4.1.0"), std::nullopt);
  EXPECT_EQ(EffectiveDeliveryLimit(std::nullopt, std::nullopt, "3.13.7"), std::nullopt);
  EXPECT_EQ(EffectiveDeliveryLimit(std::nullopt, std::nullopt, "4.0.0"), 20);  // 4.x default
  EXPECT_EQ(EffectiveDeliveryLimit(std::nullopt, std::nullopt, ""), std::nullopt);
}

TEST(MajorMinor, ReadsBrokerVersions) {
  EXPECT_EQ(MajorMinor("3.10.8"), std::make_pair(3, 10));
  EXPECT_EQ(MajorMinor("4.0.0-rc.2"), std::make_pair(4, 0));
  EXPECT_EQ(MajorMinor("4"), std::make_pair(0, 0));
  EXPECT_EQ(MajorMinor(""), std::make_pair(0, 0));
}

TEST(TopologyOptions, RefusesLimitsOutOfRange) {
  EXPECT_NO_THROW(TopologyOptions{}.Validate());
  EXPECT_THROW(TopologyOptions{.delivery_limit = 0}.Validate(), std::invalid_argument);
  EXPECT_THROW(TopologyOptions{.delivery_limit = -1}.Validate(), std::invalid_argument);
}

TEST(Describe, DefaultExchangeIsAValidDestination) {
  amqp::Message m = RuntimeDeadLetter("m-3", "order.placed", "permanent", "2024-05-01T10:00:00Z");
  m.headers.Set(std::string(dl::kOriginalExchange), std::string(""));
  m.headers.Set(std::string(dl::kOriginalRoutingKey), std::string("order"));
  DeadLetter l = Describe(m);
  EXPECT_TRUE(l.HasDestination());
  EXPECT_EQ(l.original_exchange, "");
  EXPECT_EQ(l.original_routing_key, "order");
}

TEST(Describe, WithoutAnyDestinationCannotBeReplayed) {
  amqp::Message m;
  m.message_id = "m-4";
  EXPECT_FALSE(Describe(m).HasDestination());
}

TEST(Filter, EveryCriterionMustHold) {
  const contracts::Millis now = At("2024-05-01T12:00:00Z");
  DeadLetter old_placed = Describe(RuntimeDeadLetter("a", "order.placed", "permanent", "2024-05-01T09:00:00Z"));
  DeadLetter new_placed = Describe(RuntimeDeadLetter("b", "order.placed", "contract_violation", "2024-05-01T11:59:00Z"));
  DeadLetter old_captured = Describe(RuntimeDeadLetter("c", "payment.captured", "permanent", "2024-05-01T08:00:00Z"));

  Filter all;
  EXPECT_TRUE(all.Empty());
  EXPECT_TRUE(all.Matches(old_placed, now));

  Filter by_id;
  by_id.ids = {"b", "c"};
  EXPECT_FALSE(by_id.Matches(old_placed, now));
  EXPECT_TRUE(by_id.Matches(new_placed, now));
  EXPECT_TRUE(by_id.Matches(old_captured, now));

  Filter by_type_and_error;
  by_type_and_error.types = {"order.*"};
  by_type_and_error.error_classes = {"permanent"};
  EXPECT_TRUE(by_type_and_error.Matches(old_placed, now));
  EXPECT_FALSE(by_type_and_error.Matches(new_placed, now));
  EXPECT_FALSE(by_type_and_error.Matches(old_captured, now));

  Filter by_age;
  by_age.older_than = hours(1);
  EXPECT_TRUE(by_age.Matches(old_placed, now));
  EXPECT_FALSE(by_age.Matches(new_placed, now));

  Filter by_message;
  by_message.error_message = "quantity";
  EXPECT_TRUE(by_message.Matches(old_placed, now));
  by_message.error_message = "timeout";
  EXPECT_FALSE(by_message.Matches(old_placed, now));
}

TEST(Filter, ExactMessageIsTheWholeMessage) {
  const contracts::Millis now = At("2024-05-01T12:00:00Z");
  DeadLetter l = Describe(RuntimeDeadLetter("a", "order.placed", "permanent", "2024-05-01T09:00:00Z"));
  Filter exact;
  exact.error_message_is = l.error_message;
  EXPECT_FALSE(exact.Empty());
  EXPECT_TRUE(exact.Matches(l, now));
  exact.error_message_is = "quantity";  // a part of it is not it
  EXPECT_FALSE(exact.Matches(l, now));
  exact.error_message_is = "";
  EXPECT_FALSE(exact.Matches(l, now));
  l.error_message.clear();
  EXPECT_TRUE(exact.Matches(l, now)) << "an empty message is a message too";
  EXPECT_EQ(exact.Describe(), "error-message=\"\"");
}

TEST(Filter, UnknownAgeIsNeverOlderThan) {
  amqp::Message m;
  m.message_id = "x";
  Filter f;
  f.older_than = seconds(1);
  EXPECT_FALSE(f.Matches(Describe(m), At("2030-01-01T00:00:00Z")));
}

TEST(ReplayCopy, KeepsIdentityAddsReplayHeadersDropsDeathHistory) {
  amqp::Message m = RuntimeDeadLetter("m-1", "order.placed", "permanent", "2024-05-01T10:00:00Z");
  m.headers.Set("x-death", amqp::FieldArray{});
  m.headers.Set("x-first-death-queue", std::string("order"));
  m.headers.Set("x-delivery-count", int64_t{2});
  m.headers.Set(amqp::kPublishSeqHeader, int64_t{77});
  m.headers.Set("x-choreo-version", std::string("1.0"));
  m.headers.Set(std::string(dl::kReplayCount), int64_t{2});
  DeadLetter l = Describe(m);
  amqp::Message copy = ReplayCopy(l, "alice@host", "2024-05-02T00:00:00.000Z");
  EXPECT_EQ(copy.message_id, "m-1");
  EXPECT_EQ(copy.body, m.body);
  EXPECT_EQ(copy.type, m.type);
  EXPECT_EQ(copy.correlation_id, m.correlation_id);
  EXPECT_EQ(copy.delivery_mode, m.delivery_mode);
  EXPECT_EQ(copy.headers.GetInt(dl::kReplayCount), 3);
  EXPECT_EQ(copy.headers.GetString(dl::kReplayedBy), "alice@host");
  EXPECT_EQ(copy.headers.GetString(dl::kReplayedAt), "2024-05-02T00:00:00.000Z");
  EXPECT_EQ(copy.headers.GetString("x-choreo-version"), "1.0");
  EXPECT_EQ(copy.headers.GetString(dl::kErrorClass), "permanent");  // history kept
  EXPECT_EQ(copy.headers.Find("x-death"), nullptr);
  EXPECT_EQ(copy.headers.Find("x-first-death-queue"), nullptr);
  EXPECT_EQ(copy.headers.Find("x-delivery-count"), nullptr);
  EXPECT_EQ(copy.headers.Find(amqp::kPublishSeqHeader), nullptr);
}

TEST(Fingerprint, SameCopySameFingerprintReplayedCopyDiffers) {
  amqp::Message m = RuntimeDeadLetter("m-1", "order.placed", "permanent", "2024-05-01T10:00:00Z");
  DeadLetter a = Describe(m);
  DeadLetter b = Describe(m);
  EXPECT_EQ(Fingerprint(a), Fingerprint(b));
  DeadLetter replayed = Describe(ReplayCopy(a, "u@h", "2024-05-02T00:00:00Z"));
  EXPECT_NE(Fingerprint(a), Fingerprint(replayed));
  amqp::Message other = m;
  other.headers.Set(std::string(dl::kDeadLetteredAt), std::string("2024-05-01T11:00:00Z"));
  EXPECT_NE(Fingerprint(a), Fingerprint(Describe(other)));
}

TEST(GroupByError, CountsByClassAndMessageLargestFirst) {
  std::vector<DeadLetter> letters;
  letters.push_back(Describe(RuntimeDeadLetter("1", "order.placed", "permanent", "2024-05-01T10:00:00Z")));
  letters.push_back(Describe(RuntimeDeadLetter("2", "order.cancelled", "contract_violation", "2024-05-01T10:01:00Z")));
  letters.push_back(Describe(RuntimeDeadLetter("3", "order.placed", "contract_violation", "2024-05-01T10:02:00Z")));
  letters.push_back(Describe(RuntimeDeadLetter("4", "order.placed", "contract_violation", "2024-05-01T09:00:00Z")));
  std::vector<ErrorGroup> groups = GroupByError(letters);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].error_class, "contract_violation");
  EXPECT_EQ(groups[0].count, 3u);
  EXPECT_EQ(groups[0].event_types, (std::vector<std::string>{"order.cancelled", "order.placed"}));
  EXPECT_EQ(groups[0].first_dead_lettered_at, "2024-05-01T09:00:00Z");
  EXPECT_EQ(groups[0].last_dead_lettered_at, "2024-05-01T10:02:00Z");
  EXPECT_EQ(groups[1].error_class, "permanent");
  EXPECT_EQ(groups[1].count, 1u);
}

int Cli(const std::vector<std::string>& args, std::string* out_text = nullptr,
        std::string* err_text = nullptr) {
  std::istringstream in;
  std::ostringstream out, err;
  CliEnvironment env;
  // Nothing listens here: a test that reached the network would fail with exit code 1.
  env.amqp_url = "amqp://guest:guest@127.0.0.1:1/";
  int code = RunCli(args, env, in, out, err);
  if (out_text) *out_text = out.str();
  if (err_text) *err_text = err.str();
  return code;
}

TEST(Cli, HelpExitsZero) {
  std::string out;
  EXPECT_EQ(Cli({"--help"}, &out), kExitOk);
  EXPECT_NE(out.find("dlq replay"), std::string::npos);
  EXPECT_EQ(Cli({"dlq", "replay", "--help"}, &out), kExitOk);
  EXPECT_NE(out.find("--dry-run"), std::string::npos);
  EXPECT_NE(out.find("--older-than"), std::string::npos);
  EXPECT_EQ(Cli({"outbox", "-h"}, &out), kExitOk);
  EXPECT_NE(out.find("--component NAME"), std::string::npos);
  EXPECT_EQ(Cli({"audit", "--help"}, &out), kExitOk);
  EXPECT_NE(out.find("reservations.state"), std::string::npos);
}

TEST(Cli, UsageErrorsExitTwoWithAClearMessage) {
  struct Case {
    std::vector<std::string> args;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {{}, "Usage"},
      {{"frobnicate"}, "unknown command 'frobnicate'"},
      {{"dlq"}, "needs a subcommand"},
      {{"dlq", "explode", "x.dlq"}, "unknown command 'dlq explode'"},
      {{"dlq", "replay"}, "needs a queue name"},
      {{"dlq", "replay", "a.dlq", "b.dlq"}, "unexpected argument 'b.dlq'"},
      {{"dlq", "replay", "order.dlq", "--rate", "fast"}, "--rate"},
      {{"dlq", "replay", "order.dlq", "--rate", "0"}, "--rate"},
      {{"dlq", "replay", "order.dlq", "--limit", "0"}, "--limit"},
      {{"dlq", "replay", "order.dlq", "--older-than", "5x"}, "--older-than"},
      {{"dlq", "replay", "order.dlq", "--bogus"}, "unknown option '--bogus'"},
      {{"dlq", "replay", "order.dlq", "--limit"}, "needs a value"},
      {{"dlq", "list", "--full"}, "does not apply"},
      {{"dlq", "show", "order.dlq", "--group-by", "type"}, "--group-by"},
      {{"dlq", "replay", "order"}, "not a dead-letter queue"},
      {{"dlq", "purge", "order"}, "not a dead-letter queue"},
      {{"dlq", "replay", "order.dlq", "--amqp-url", "http://nope"}, "invalid AMQP URL"},
      {{"outbox"}, "status"},
      {{"outbox", "status"}, "needs a store"},
      {{"outbox", "status", "--store", "sqlite:/nonexistent/dir/x.db"}, "no SQLite database"},
      {{"topology"}, "apply"},
      {{"topology", "apply", "--delivery-limit", "many"}, "--delivery-limit"},
      {{"topology", "apply", "--delivery-limit", "0"}, "delivery limit must be between 1 and"},
      {{"topology", "apply", "--limit", "3"}, "does not apply"},
      // Names are exact: no abbreviation (which a later option could make ambiguous), no case.
      {{"dlq", "replay", "order.dlq", "--dry"}, "unknown option '--dry'"},
      {{"dlq", "list", "--JSON"}, "unknown option '--JSON'"},
      {{"dlq", "list", "--json=yes"}, "option --json takes no value"},
      {{"dlq", "list", "-x"}, "unknown option '-x'"},
      // After "--" every word is an argument.
      {{"dlq", "list", "--", "--json"}, "unexpected argument '--json'"},
  };
  for (const Case& c : cases) {
    std::string err;
    EXPECT_EQ(Cli(c.args, nullptr, &err), kExitUsage) << testing::PrintToString(c.args);
    EXPECT_NE(err.find(c.expected), std::string::npos)
        << testing::PrintToString(c.args) << " -> " << err;
  }
}

TEST(Cli, JsonModeReportsErrorsOnStdoutToo) {
  std::string out;
  EXPECT_EQ(Cli({"dlq", "replay", "--json"}, &out), kExitUsage);
  nlohmann::json j = nlohmann::json::parse(out);
  EXPECT_EQ(j["exit_code"], 2);
  EXPECT_NE(j["error"].get<std::string>().find("queue name"), std::string::npos);
}

}  // namespace
}  // namespace choreo::admin
