// `choreo-admin topology apply` and the broker's side of reliability, against the real
// broker: the policies reach queues that already exist and applying them again changes
// nothing; a consumer that crashes on a message every time sends it to the DLQ through
// the delivery limit, and `dlq show` says so; inspecting a DLQ far more often than
// RabbitMQ 4.x's default delivery limit loses nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "choreo/admin/admin.hpp"
#include "choreo/admin/topology.hpp"
#include "choreo/contracts/topology.hpp"
#include "choreo/testing/testing.hpp"
#include "choreo/topology/declare.hpp"
#include "support.hpp"

namespace choreo::admin {
namespace {

namespace topo = contracts::topology;
using choreo::testing::RequireEnv, choreo::testing::WaitFor;
using std::chrono::seconds;
using testing::RunBinary, testing::RunResult;

// Small, so that a crash loop ends in a few deliveries.
constexpr int64_t kTestLimit = 3;

class AdminTopologyTest : public testing::VhostTest {
 protected:
  void SetUp() override { OpenVhost("topology", "admin-topology-test"); }

  RunResult Admin(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), "--mgmt-url=" + RequireEnv("CHOREO_TEST_MGMT_URL"));
    env["CHOREO_AMQP_URL"] = vhost_->AmqpUrl();  // not on the command line: it holds the password
    env.try_emplace("CHOREO_DELIVERY_LIMIT", "");
    return RunBinary(CHOREO_ADMIN_BINARY, args, "", env);
  }

  // The queue as the management API describes it.
  nlohmann::json QueueInfo(const std::string& queue) {
    std::string body;
    const int status = choreo::testing::ManagementRequest(
        "GET", "/api/queues/" + choreo::testing::UrlEncode(vhost_->Name()) + "/" + choreo::testing::UrlEncode(queue), "",
        &body);
    if (status != 200) return nlohmann::json::object();
    return nlohmann::json::parse(body, nullptr, false);
  }

  // delivery-limit of the queue's effective policy; nullopt when none sets one.
  std::optional<int64_t> PolicyLimit(const std::string& queue) {
    const nlohmann::json info = QueueInfo(queue);
    const nlohmann::json definition = info.value("effective_policy_definition", nlohmann::json::object());
    if (!definition.is_object() || !definition.contains("delivery-limit")) return std::nullopt;
    return definition["delivery-limit"].get<int64_t>();
  }

  // Every queue of `workers` has the limit its role calls for (none for retry and delay
  // queues), as the management API reports it (its figures lag by up to 5 s).
  bool QueuesHave(const std::vector<topo::WorkerTopology>& workers, int64_t work_limit) {
    for (const topo::WorkerTopology& worker : workers) {
      for (const topo::Queue& queue : worker.AllQueues()) {
        std::optional<int64_t> expected;
        if (queue.role == topo::QueueRole::kWork) expected = work_limit;
        if (queue.role == topo::QueueRole::kDeadLetter) expected = topo::kDeadLetterDeliveryLimit;
        if (PolicyLimit(queue.name) != expected) return false;
      }
    }
    return true;
  }

  // The policy as stored on the broker.
  nlohmann::json StoredPolicy(const std::string& name) {
    std::string body;
    choreo::testing::ManagementRequest(
        "GET", "/api/policies/" + choreo::testing::UrlEncode(vhost_->Name()) + "/" + name, "", &body);
    return nlohmann::json::parse(body, nullptr, false);
  }

  uint32_t Ready(const std::string& queue) { return connection_->InspectQueue(queue).message_count; }

};

std::map<std::string, PolicyChange> Changes(const TopologyReport& report) {
  std::map<std::string, PolicyChange> changes;
  for (const PolicyOutcome& p : report.policies) changes[p.policy.name] = p.change;
  return changes;
}

TEST_F(AdminTopologyTest, PoliciesReachQueuesThatAlreadyExistAndApplyingAgainChangesNothing) {
  // A deployment from before the policies: queues declared the old way, one holding a
  // message. (Two workers' queues: declaring all of them is left to the binary below.)
  const std::vector<topo::WorkerTopology> existing = {testing::DeclareWorker(*connection_, "order"),
                                                      testing::DeclareWorker(*connection_, "payment")};
  testing::PublishConfirmed(*connection_, "orders", "order.placed", {testing::OrderPlaced("o-1")});
  EXPECT_EQ(PolicyLimit("order"), std::nullopt);

  TopologyReport first = ApplyPolicies(endpoints_, {.delivery_limit = kTestLimit});
  EXPECT_EQ(first.broker_version.substr(0, 2), "3.");  // the test broker; the report reads it
  EXPECT_TRUE(first.warnings.empty());
  EXPECT_EQ(Changes(first), (std::map<std::string, PolicyChange>{{"choreo-work-queues", PolicyChange::kCreated},
                                                                 {"choreo-dead-letter-queues", PolicyChange::kCreated}}));
  EXPECT_TRUE(WaitFor([&] { return QueuesHave(existing, kTestLimit); }, seconds(15), std::chrono::milliseconds(200)))
      << QueueInfo("order").dump();
  EXPECT_EQ(Ready("order"), 1u);  // the message is still there

  // The binary, as infra/up runs it: declares everything (queues that exist already, now
  // under a policy, included) and finds nothing to change.
  RunResult run = Admin({"topology", "apply", "--json"}, {{"CHOREO_DELIVERY_LIMIT", std::to_string(kTestLimit)}});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  nlohmann::json j = nlohmann::json::parse(run.out);
  std::size_t queues = 0;
  for (const auto& worker : topo::Workers()) queues += worker.AllQueues().size();
  EXPECT_EQ(j["queues"], queues);
  std::map<std::string, std::string> changes;
  for (const auto& p : j["policies"]) changes[p["name"]] = p["change"];
  EXPECT_EQ(changes, (std::map<std::string, std::string>{{"choreo-work-queues", "unchanged"},
                                                         {"choreo-dead-letter-queues", "unchanged"}}));
  EXPECT_EQ(Ready("order"), 1u);

  // A new limit rewrites the work queues' policy only.
  TopologyReport changed = ApplyPolicies(endpoints_, {.delivery_limit = 5});
  EXPECT_EQ(Changes(changed), (std::map<std::string, PolicyChange>{{"choreo-work-queues", PolicyChange::kUpdated},
                                                                   {"choreo-dead-letter-queues", PolicyChange::kUnchanged}}));
  EXPECT_EQ(StoredPolicy("choreo-work-queues")["definition"], (nlohmann::json{{"delivery-limit", 5}}));
  EXPECT_EQ(StoredPolicy("choreo-work-queues")["pattern"], topo::Policies().front().pattern);
}

TEST_F(AdminTopologyTest, AConsumerThatCrashesOnAMessageSendsItToTheDlqThroughTheDeliveryLimit) {
  testing::DeclareWorker(*connection_, "order");
  // The broker applies a policy to its queues before it answers the PUT.
  ApplyPolicies(endpoints_, {.delivery_limit = kTestLimit});
  const amqp::Message message = testing::OrderPlaced("crash-1");
  testing::PublishConfirmed(*connection_, "orders", "order.placed", {message});

  // Each run takes the message and dies holding it, until the broker stops handing it out.
  std::vector<std::string> seen;  // "<x-delivery-count> <message id>" per delivery
  for (int run = 0; run < 10; ++run) {
    ASSERT_TRUE(WaitFor([&] { return Ready("order") == 1 || Ready("order.dlq") == 1; }, seconds(10)))
        << "the message is neither back in order nor in order.dlq after " << seen.size() << " crashes";
    if (Ready("order.dlq") == 1) break;
    RunResult r = RunBinary(CHOREO_CRASH_CONSUMER_BINARY, {"order"}, "", {{"CHOREO_AMQP_URL", vhost_->AmqpUrl()}});
    ASSERT_EQ(r.exit_code, 128 + SIGKILL) << r.out << r.err;
    std::istringstream line(r.out);
    int64_t count = -2;
    std::string id;
    line >> count >> id;
    // 3.10 sets no x-delivery-count on a first delivery (-1), later versions 0.
    seen.push_back(std::to_string(std::max<int64_t>(count, 0)) + " " + id);
  }
  // Delivered limit + 1 times: RabbitMQ dead-letters a message that comes back more often
  // than its limit.
  const std::string id = " " + message.message_id;
  EXPECT_EQ(seen, (std::vector<std::string>{"0" + id, "1" + id, "2" + id, "3" + id}));
  EXPECT_TRUE(WaitFor([&] { return Ready("order.dlq") == 1; }, seconds(10)));
  EXPECT_EQ(Ready("order"), 0u);

  // `dlq show` reads the queue's limit from the management API, whose queue figures
  // appear up to 5 s after a queue is declared (until then it says it in general words).
  ASSERT_TRUE(WaitFor([&] { return PolicyLimit("order") == kTestLimit; }, seconds(15), std::chrono::milliseconds(100)));
  ShowReport report = Show(endpoints_, {.queue = "order.dlq"});
  ASSERT_EQ(report.messages.size(), 1u);
  const DeadLetter& letter = report.messages.front();
  EXPECT_EQ(letter.message_id, message.message_id);
  EXPECT_EQ(letter.broker_reason, "delivery_limit");
  EXPECT_EQ(letter.error_class, "broker:delivery_limit");
  EXPECT_EQ(letter.delivery_limit, kTestLimit);
  EXPECT_EQ(letter.error_message,
            "delivered 4 times without an ack: its consumers crashed or timed out (delivery limit 3)");
  EXPECT_EQ(letter.original_queue, "order");
  // Replay would send it where it was published.
  EXPECT_EQ(letter.original_exchange, "orders");
  EXPECT_EQ(letter.original_routing_key, "order.placed");

  RunResult text = Admin({"dlq", "show", "order.dlq"});
  ASSERT_EQ(text.exit_code, kExitOk) << text.err;
  EXPECT_NE(text.out.find("delivered 4 times without an ack: its consumers crashed or timed out"), std::string::npos)
      << text.out;
  RunResult json_run = Admin({"dlq", "show", "order.dlq", "--json"});
  nlohmann::json j = nlohmann::json::parse(json_run.out);
  EXPECT_EQ(j["messages"][0]["broker_reason"], "delivery_limit");
  EXPECT_EQ(j["messages"][0]["delivery_limit"], kTestLimit);
  EXPECT_EQ(j["messages"][0]["error_class"], "broker:delivery_limit");
  RunResult grouped = Admin({"dlq", "show", "order.dlq", "--group-by", "error"});
  EXPECT_NE(grouped.out.find("broker:delivery_limit"), std::string::npos) << grouped.out;
  EXPECT_NE(grouped.out.find("delivered 4 times without an ack"), std::string::npos) << grouped.out;

  // Replay and purge filter on the message as show words it, with the queue's limit: the
  // group the console shows (class and whole message) selects this message.
  ReplayOptions group;
  group.queue = "order.dlq";
  group.filter.error_classes = {letter.error_class};
  group.filter.error_message_is = letter.error_message;
  group.dry_run = true;
  EXPECT_EQ(Replay(endpoints_, group).replayed, 1u);
  group.filter.error_message_is.reset();
  group.filter.error_message = "(delivery limit 3)";
  EXPECT_EQ(Replay(endpoints_, group).replayed, 1u);
  EXPECT_EQ(Purge(endpoints_, {.queue = "order.dlq", .filter = group.filter, .dry_run = true}).purged, 1u);
}

TEST_F(AdminTopologyTest, InspectingADlqFarMoreOftenThanTwentyTimesLosesNothing) {
  // RabbitMQ 4.x gives every quorum queue a delivery limit of 20 unless something sets
  // one; this 3.10 broker gets the same from a catch-all policy (as RabbitMQ advises for
  // 4.x), which choreo's policies must outrank.
  const std::string catch_all = "/api/policies/" + choreo::testing::UrlEncode(vhost_->Name()) + "/catch-all";
  ASSERT_EQ(choreo::testing::ManagementRequest(
                "PUT", catch_all, R"({"pattern":".*","apply-to":"queues","definition":{"delivery-limit":20},"priority":0})"),
            201);
  testing::DeclareWorker(*connection_, "order");
  ApplyPolicies(endpoints_, {.delivery_limit = kTestLimit});

  std::vector<testing::DeadLetterSeed> seeds(5);
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < seeds.size(); ++i) {
    seeds[i].message = testing::OrderPlaced("inspected-" + std::to_string(i));
    ids.push_back(seeds[i].message.message_id);
  }
  testing::SeedDeadLetters(*connection_, "order.dlq", seeds);

  // Every command that reads a DLQ takes its messages and gives them back: 30 passes.
  for (int pass = 0; pass < 30; ++pass) {
    SCOPED_TRACE("pass " + std::to_string(pass));
    if (pass % 3 == 0) {
      EXPECT_EQ(Show(endpoints_, {.queue = "order.dlq"}).messages.size(), ids.size());
    } else if (pass % 3 == 1) {
      EXPECT_EQ(Replay(endpoints_, {.queue = "order.dlq", .dry_run = true}).replayed, ids.size());
    } else {
      EXPECT_EQ(Purge(endpoints_, {.queue = "order.dlq", .dry_run = true}).purged, ids.size());
    }
  }
  ShowReport last = Show(endpoints_, {.queue = "order.dlq"});
  std::vector<std::string> left;
  for (const DeadLetter& l : last.messages) {
    left.push_back(l.message_id);
    // Each pass counted: well past the 20 that would have dropped them.
    const amqp::FieldValue* count = l.message.headers.Find("x-delivery-count");
    ASSERT_NE(count, nullptr);
    EXPECT_GE(*count->As<int64_t>(), 30);
  }
  EXPECT_EQ(left, ids);
}

}  // namespace
}  // namespace choreo::admin
