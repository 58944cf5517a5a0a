#pragma once
// Helpers shared by every *_it.cpp test. The endpoints come from the environment that
// infra/test sets up (a private RabbitMQ node with the management plugin, a private
// PostgreSQL server):
//   CHOREO_TEST_AMQP_URL    amqp://user:pass@127.0.0.1:port   (no vhost)
//   CHOREO_TEST_MGMT_URL    http://127.0.0.1:port            (management API)
//   CHOREO_TEST_PG_URL      postgresql://user@127.0.0.1:port/db
//   CHOREO_TEST_BROKER_CTL  script taking `stop` / `start` for the test node
// and, for the tests that take a node of a cluster away, a three-node test cluster:
//   CHOREO_TEST_CLUSTER_AMQP_URLS  the nodes' amqp:// URLs, comma-separated (no vhost)
//   CHOREO_TEST_CLUSTER_MGMT_URLS  their management URLs, comma-separated
//   CHOREO_TEST_CLUSTER_CTL        script taking `kill N` / `start N` / `running N`
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace choreo::testing {

// Value of an environment variable; throws std::runtime_error naming it when unset, so a
// test run outside infra/test fails loudly instead of silently skipping.
std::string RequireEnv(const char* name);

// A name no other test (or earlier run) uses: <prefix>-<pid>-<counter>-<random>.
std::string UniqueName(std::string_view prefix);

// Polls `predicate` until it returns true or `timeout` passes. Returns the last result.
bool WaitFor(const std::function<bool()>& predicate, std::chrono::milliseconds timeout,
             std::chrono::milliseconds poll = std::chrono::milliseconds(10));

// Where a broker (a node or a cluster) answers: its AMQP URLs without a vhost,
// comma-separated as CHOREO_AMQP_URL takes them, and one management URL.
struct BrokerEndpoints {
  std::string amqp_urls;
  std::string mgmt_url;
};
// The single test node (CHOREO_TEST_AMQP_URL, CHOREO_TEST_MGMT_URL).
BrokerEndpoints TestNode();
// The test cluster, or nullopt when infra/test runs without one (CHOREO_TEST_CLUSTER=0).
std::optional<BrokerEndpoints> TestCluster();
// Each node of the test cluster on its own, in order (node 1 first): its AMQP URL and its
// management URL. Empty without a cluster. For tests that must ask one node in particular,
// such as one that is still running.
std::vector<BrokerEndpoints> TestClusterNodes();
// Runs CHOREO_TEST_CLUSTER_CTL with `args` (e.g. "kill 1"); throws if it fails.
void ClusterCtl(const std::string& args);

// A fresh vhost on the test broker (created through the management API, with full
// permissions for the test user), deleted on destruction. One per suite keeps tests
// independent without churning quorum queues on a shared vhost.
class TestVhost {
 public:
  explicit TestVhost(std::string_view prefix = "t");
  TestVhost(std::string_view prefix, BrokerEndpoints broker);
  ~TestVhost();
  TestVhost(const TestVhost&) = delete;
  TestVhost& operator=(const TestVhost&) = delete;

  const std::string& Name() const { return name_; }
  // amqp://user:pass@host:port/<url-encoded vhost>, one per node, comma-separated.
  std::string AmqpUrl() const;
  const BrokerEndpoints& Broker() const { return broker_; }

 private:
  std::string name_;
  BrokerEndpoints broker_;
};

// Sends a request to the management API (path like "/api/queues/vh/q"); returns the HTTP
// status and fills `body` with the response. Throws on transport errors.
int ManagementRequest(const std::string& method, const std::string& path,
                      const std::string& request_body, std::string* body = nullptr);
// The same against another broker's management API.
int ManagementRequest(const BrokerEndpoints& broker, const std::string& method, const std::string& path,
                      const std::string& request_body, std::string* body = nullptr);

// Stops / starts the whole test broker node (blocking until it is down / fully booted).
void StopBroker();
void StartBroker();

// A free TCP port on 127.0.0.1, bound by the kernel's choice and released: a port for a
// server the test starts, or one nobody listens on (a dead node's address).
int FreePort();

// URL-encodes one path segment (vhost names in URLs).
std::string UrlEncode(std::string_view segment);

}  // namespace choreo::testing
