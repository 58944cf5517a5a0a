// choreo-admin with address lists (CHOREO_AMQP_URL, CHOREO_MGMT_URL comma-separated, one
// URL per node of a cluster) keeps working while a node is down: a dead node at the head
// of both lists is skipped. A node that answers with a 4xx is believed, not skipped.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "broker.hpp"
#include "choreo/admin/admin.hpp"
#include "choreo/amqp/options.hpp"
#include "choreo/testing/testing.hpp"
#include "support.hpp"

namespace choreo::admin {
namespace {

using choreo::testing::RequireEnv;
using choreo::testing::TestVhost;

// `url` (amqp://user:pass@host:port/vhost) with another port: the same credentials and
// vhost, as the nodes of one cluster have.
std::string WithPort(const std::string& url, uint16_t port) {
  const amqp::AmqpUrl parsed = amqp::ParseUrl(url);
  const std::string from = ":" + std::to_string(parsed.port);
  std::string out = url;
  out.replace(out.find(from, out.find('@')), from.size(), ":" + std::to_string(port));
  return out;
}

class AdminFailoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    vhost_ = std::make_unique<TestVhost>("admin-fo");
    amqp::Connection connection(amqp::ConnectionOptions{.url = vhost_->AmqpUrl(), .connection_name = "admin-fo"});
    testing::DeclareWorker(connection, "order");
    dead_amqp_ = WithPort(vhost_->AmqpUrl(), choreo::testing::FreePort());
    dead_mgmt_ = "http://127.0.0.1:" + std::to_string(choreo::testing::FreePort());
  }
  std::unique_ptr<TestVhost> vhost_;
  std::string dead_amqp_;
  std::string dead_mgmt_;
};

TEST_F(AdminFailoverTest, ListWorksWithADeadNodeAtTheHeadOfBothLists) {
  Endpoints endpoints;
  endpoints.amqp_url = dead_amqp_ + ", " + vhost_->AmqpUrl();
  endpoints.mgmt_url = dead_mgmt_ + " , " + RequireEnv("CHOREO_TEST_MGMT_URL");
  endpoints.connection_name = choreo::testing::UniqueName("admin-fo");
  ListReport report = ListDeadLetterQueues(endpoints);
  // "management", not the fallback to the topology that an unreachable API gives.
  EXPECT_EQ(report.source, "management");
  std::set<std::string> names;
  for (const QueueSummary& q : report.queues) names.insert(q.name);
  EXPECT_EQ(names, (std::set<std::string>{"order.dlq"}));
  EXPECT_TRUE(report.warnings.empty()) << report.warnings.front();

  // The binary, configured through the environment as services are.
  testing::RunResult run = testing::RunBinary(
      CHOREO_ADMIN_BINARY, {"dlq", "list", "--json"}, "",
      {{"CHOREO_AMQP_URL", endpoints.amqp_url}, {"CHOREO_MGMT_URL", endpoints.mgmt_url}});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(nlohmann::json::parse(run.out)["source"], "management") << run.err;
  EXPECT_EQ(run.err.find(amqp::ParseUrl(vhost_->AmqpUrl()).password + "@"), std::string::npos) << run.err;
}

TEST_F(AdminFailoverTest, NoNodeReachableNamesEveryManagementUrl) {
  Endpoints endpoints;
  endpoints.amqp_url = vhost_->AmqpUrl();
  const std::string other_dead = "http://127.0.0.1:" + std::to_string(choreo::testing::FreePort());
  endpoints.mgmt_url = dead_mgmt_ + "," + other_dead;
  try {
    detail::ManagementGet(endpoints, "/api/overview");
    FAIL() << "a dead list answered";
  } catch (const CommandError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(dead_mgmt_), std::string::npos) << what;
    EXPECT_NE(what.find(other_dead), std::string::npos) << what;
  }
}

// The cluster does not have the test vhost (it lives on the single test node): asked
// first, it answers 404, and that answer stands although the second URL would say 200.
TEST_F(AdminFailoverTest, AClientErrorIsFinalNotPassedToTheNextNode) {
  const std::optional<choreo::testing::BrokerEndpoints> cluster = choreo::testing::TestCluster();
  if (!cluster) GTEST_SKIP() << "no test cluster";
  const std::string first_cluster_node = cluster->mgmt_url;
  Endpoints endpoints;
  endpoints.amqp_url = vhost_->AmqpUrl();
  endpoints.mgmt_url = first_cluster_node + "," + RequireEnv("CHOREO_TEST_MGMT_URL");
  const std::string path = "/api/vhosts/" + detail::EncodeSegment(vhost_->Name());
  detail::ManagementResponse response = detail::ManagementRequest(endpoints, "GET", path);
  EXPECT_EQ(response.status, 404) << response.url;
  EXPECT_EQ(response.url, first_cluster_node + path);
  // The same list the other way round: the single node has it.
  endpoints.mgmt_url = RequireEnv("CHOREO_TEST_MGMT_URL") + "," + first_cluster_node;
  EXPECT_EQ(detail::ManagementRequest(endpoints, "GET", path).status, 200);
}

TEST(AdminEndpoints, MalformedListsAreUsageErrors) {
  Endpoints endpoints;
  for (const char* bad : {"http://127.0.0.1:1,,http://127.0.0.1:2", "http://127.0.0.1:1,", "ftp://h",
                          "http://127.0.0.1:1, https://127.0.0.1:2"}) {
    endpoints.mgmt_url = bad;
    EXPECT_THROW(detail::ManagementRequest(endpoints, "GET", "/api/overview"), UsageError) << bad;
  }
  endpoints.mgmt_url = "http://127.0.0.1:1";
  endpoints.amqp_url = "amqp://u:pw1@h1/v,amqp://u:pw2@h2/v";
  EXPECT_THROW(detail::ManagementRequest(endpoints, "GET", "/api/overview"), UsageError);
}

}  // namespace
}  // namespace choreo::admin
