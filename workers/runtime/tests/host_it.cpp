// The component host on its own, as the gateway uses it: a producer's outbox rows are
// published by the host's relay, readiness asks the parts' checks then the store, and a
// stop request (SIGTERM) ends the pipelines running on the host.
#include <gtest/gtest.h>

#include <csignal>
#include <thread>

#include "choreo/amqp/connection.hpp"
#include "choreo/contracts/events.hpp"
#include "choreo/contracts/topology.hpp"
#include "choreo/metrics/metrics.hpp"
#include "choreo/outbox/producer.hpp"
#include "choreo/testing/test_database.hpp"
#include "choreo/testing/testing.hpp"
#include "choreo/worker/host.hpp"
#include "choreo/worker/pipeline.hpp"
#include "committed_event.hpp"

namespace choreo::worker {
namespace {

using namespace std::chrono_literals;

class HostTest : public ::testing::Test {
 protected:
  HostTest() : vhost_("host"), db_(testing::DbKind::kSqlite, "host") {}

  HostOptions Options(std::string name) {
    return {.name = std::move(name), .amqp_url = vhost_.AmqpUrl(), .store_url = db_.Url()};
  }
  // 0 until the relay declared the queue.
  uint32_t Depth(const std::string& queue) {
    try {
      amqp::Connection connection(amqp::ConnectionOptions{.url = vhost_.AmqpUrl()});
      return connection.InspectQueue(queue).message_count;
    } catch (const std::exception&) {
      return 0;
    }
  }

  testing::TestVhost vhost_;
  testing::TestDatabase db_;
};

TEST_F(HostTest, PublishesWhatAProducerAppendsWithoutAnyPipeline) {
  ComponentHost host(Options("shipping"));
  host.Migrate({});
  host.Start();
  const contracts::Envelope envelope = contracts::MakeEnvelope(test::Committed(contracts::NewUuid()));
  host.Store().InTransaction([&](store::Tx& tx) { outbox::AppendEnvelope(tx, envelope); });
  host.NotifyOutbox();
  // The relay declared the whole topology first, so every subscriber's queue has it.
  for (const std::string& queue : contracts::topology::SubscribersOf(envelope.type)) {
    EXPECT_TRUE(testing::WaitFor([&] { return Depth(queue) == 1; }, 15s)) << queue;
  }
  EXPECT_TRUE(testing::WaitFor([&] { return host.Backlog().pending == 0; }, 15s));
  EXPECT_NE(metrics::Registry::Default().Render().find("choreo_outbox_backlog{worker=\"shipping\"} 0"),
            std::string::npos);
  host.Stop();
}

TEST_F(HostTest, ReadinessAsksThePartsInOrderThenTheStore) {
  ComponentHost host(Options("shipping"));
  EXPECT_EQ(host.ReadinessProblem(), "");
  const uint64_t first = host.AddReadinessCheck([] { return std::string("first part down"); });
  const uint64_t second = host.AddReadinessCheck([] { return std::string("second part down"); });
  EXPECT_EQ(host.ReadinessProblem(), "first part down");
  host.RemoveReadinessCheck(first);
  EXPECT_EQ(host.ReadinessProblem(), "second part down");
  host.RemoveReadinessCheck(second);
  EXPECT_EQ(host.ReadinessProblem(), "");
}

TEST_F(HostTest, ADestroyedPipelineLeavesNoReadinessCheckBehind) {
  ComponentHost host(Options("shipping"));
  {
    Pipeline pipeline(host, {.name = "shipping"});
    EXPECT_EQ(host.ReadinessProblem(), "broker unreachable") << "a pipeline that never connected is not ready";
  }
  EXPECT_EQ(host.ReadinessProblem(), "");
}

TEST_F(HostTest, SigtermStopsThePipelinesOnTheHost) {
  ComponentHost host(Options("shipping"));
  host.Migrate({});
  host.Start();
  Pipeline pipeline(host, {.name = "shipping"});
  std::atomic<bool> returned{false};
  std::thread runner([&] {
    pipeline.Run();
    returned = true;
  });
  ASSERT_TRUE(pipeline.WaitUntilReady(20s));
  InstallSignalHandlers(host);
  std::raise(SIGTERM);
  EXPECT_TRUE(host.StopRequested());
  EXPECT_TRUE(testing::WaitFor([&] { return returned.load(); }, 10s));
  runner.join();
  std::signal(SIGTERM, SIG_DFL);
  host.Stop();
}

}  // namespace
}  // namespace choreo::worker
