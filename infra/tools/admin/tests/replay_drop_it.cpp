// Replaying 1,000 dead letters while the tool's broker connection is force-closed twice
// (through the management API, as an operator or a load balancer would): nothing is
// lost, and the worker's inbox makes every effect happen exactly once even though a
// copy whose ack died with the connection may be published twice.
#include <gtest/gtest.h>

#include <atomic>
#include <iostream>
#include <set>

#include "choreo/admin/admin.hpp"
#include "choreo/testing/test_database.hpp"
#include "choreo/testing/testing.hpp"
#include "support.hpp"

namespace choreo::admin {
namespace {

using choreo::testing::DbKind, choreo::testing::TestDatabase, choreo::testing::TestVhost, choreo::testing::WaitFor;
using std::chrono::seconds;

constexpr std::size_t kMessages = 1000;

TEST(AdminReplayDrop, ThousandMessagesWithConnectionDropsLoseNoneAndDuplicateNoEffect) {
  TestVhost vhost("admin-drop");
  amqp::Connection connection(amqp::ConnectionOptions{.url = vhost.AmqpUrl(), .connection_name = "admin-drop-test"});
  testing::DeclareWorker(connection, "order");

  std::vector<testing::DeadLetterSeed> seeds(kMessages);
  std::set<std::string> ids;
  for (std::size_t i = 0; i < kMessages; ++i) {
    seeds[i].message = testing::OrderPlaced("ord-" + std::to_string(i));
    ids.insert(seeds[i].message.message_id);
  }
  testing::SeedDeadLetters(connection, "order.dlq", seeds);
  ASSERT_EQ(connection.InspectQueue("order.dlq").message_count, kMessages);

  TestDatabase db(DbKind::kPostgres, "admin-drop");
  testing::FakeWorker worker(vhost.AmqpUrl(), db.Url(), "order");
  worker.Start();

  const Endpoints endpoints = testing::EndpointsFor(vhost, "choreo-admin-drop");

  // Drop connections when 300 and when 700 messages have been replayed: first only the
  // one that reads and acks the DLQ (publishes in flight are then confirmed while their
  // DLQ copies go back to the queue), then both the reader and the publisher. The drop is
  // requested from the replay's own thread, so it lands at a known point of the run.
  std::vector<std::size_t> drop_at{300, 700};
  int drops = 0;
  ReplayOptions replay;
  replay.queue = "order.dlq";
  replay.window = 32;
  replay.on_progress = [&](const Progress& p) {
    if (drops < static_cast<int>(drop_at.size()) && p.done >= drop_at[drops]) {
      int closed = 0;
      // The management API learns about new connections with a small delay.
      const bool both = drops == 1;
      WaitFor([&] { return (closed = testing::CloseConnections(vhost.Name(), endpoints.connection_name, both)) > 0; },
              seconds(10), std::chrono::milliseconds(100));
      ASSERT_GT(closed, 0) << "could not find the tool's connection to close";
      ++drops;
    }
  };
  ReplayReport report = Replay(endpoints, replay);
  std::cout << "replayed " << report.replayed << ", failed " << report.failed << ", late acks "
            << report.late_acks << ", reconnects " << report.reconnects << ", examined "
            << report.examined << ", " << report.elapsed.count() << " ms" << std::endl;

  EXPECT_EQ(drops, 2);
  // At least one reconnect per drop (the management API may not list a connection that
  // was just re-established, so the second drop may catch only one of the two).
  EXPECT_GE(report.reconnects, 2u);
  EXPECT_EQ(report.error, "");
  EXPECT_EQ(report.failed, 0u);
  EXPECT_EQ(report.replayed, kMessages);
  EXPECT_EQ(report.examined, kMessages);
  EXPECT_EQ(connection.InspectQueue("order.dlq").message_count, 0u) << "every DLQ copy acked";

  // Every message applied, each exactly once.
  ASSERT_TRUE(WaitFor([&] { return worker.Effects().size() == kMessages; }, seconds(60)))
      << worker.Effects().size() << " of " << kMessages << " applied; " << worker.Error();
  auto effects = worker.Effects();
  std::set<std::string> applied;
  for (const auto& [id, count] : effects) {
    EXPECT_EQ(count, 1) << id << " applied " << count << " times";
    applied.insert(id);
  }
  EXPECT_EQ(applied, ids);
  // Let the work queue empty, then report how many duplicates the inbox absorbed.
  ASSERT_TRUE(WaitFor([&] { return connection.InspectQueue("order").message_count == 0; }, seconds(30)));
  std::cout << "worker deliveries " << worker.Deliveries() << " for " << kMessages
            << " messages (duplicates absorbed by the inbox: " << worker.Deliveries() - kMessages
            << ")" << std::endl;
  EXPECT_GE(worker.Deliveries(), kMessages);
  worker.Stop();
  EXPECT_EQ(worker.Error(), "");
}

}  // namespace
}  // namespace choreo::admin
