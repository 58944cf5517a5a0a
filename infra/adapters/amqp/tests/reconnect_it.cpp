// Stops and starts the whole broker node under a running publisher and an idle
// consumer. Registered SERIAL: every other test on the node would fail meanwhile.
#include <atomic>
#include <exception>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>

#include "it_support.hpp"

namespace choreo::amqp::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using choreo::testing::WaitFor;

TEST(Reconnect, ConfirmedMessagesSurviveBrokerRestartAndClientsReconnect) {
  choreo::testing::TestVhost vhost("amqp-restart");
  const std::string queue = "restart";

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> confirmed_count{0};
  std::atomic<uint64_t> failed_count{0};
  std::atomic<uint64_t> publisher_reconnects{0};
  std::mutex mutex;
  std::set<int> confirmed_ids;  // guarded by mutex
  std::exception_ptr publisher_error;
  std::size_t unresolved = 0;

  // The publisher has a thread (and so a connection) of its own.
  std::thread publisher_thread([&] {
    try {
      Connection conn(OptionsFor(vhost, "restart-publisher"));
      conn.DeclareQueue(QueueSpec::Quorum(queue));
      Publisher publisher(conn, PublisherOptions{.window = 64});
      std::unordered_map<uint64_t, int> seq_to_id;
      auto absorb = [&](std::vector<PublishResult> results) {
        std::lock_guard lock(mutex);
        for (const PublishResult& r : results) {
          int id = seq_to_id.at(r.seq);
          seq_to_id.erase(r.seq);
          if (r.outcome == PublishOutcome::kConfirmed) {
            confirmed_ids.insert(id);
            ++confirmed_count;
          } else {
            ++failed_count;  // unknown: a relay would publish it again
          }
        }
      };
      int next_id = 0;
      while (!stop) {
        for (int i = 0; i < 32; ++i, ++next_id) {
          seq_to_id[publisher.Publish("", queue, TextMessage(std::to_string(next_id),
                                                             std::to_string(next_id)))] = next_id;
        }
        // Waiting for each batch paces the loop by the broker's confirm latency, so
        // the queue stays small enough to drain quickly afterwards.
        absorb(publisher.WaitForConfirms(seconds(5)));
        publisher_reconnects = conn.Reconnects();
      }
      absorb(publisher.WaitForConfirms(seconds(30)));
      unresolved = seq_to_id.size();
    } catch (...) {
      publisher_error = std::current_exception();
    }
  });

  // An idle consumer that must come back by itself as well.
  Connection consuming(OptionsFor(vhost, "restart-consumer"));
  ASSERT_TRUE(WaitFor([&] { return confirmed_count > 1000 || publisher_error; }, seconds(30)));
  ASSERT_FALSE(publisher_error);
  Consumer consumer(consuming, ConsumerOptions{.queue = queue, .prefetch = 256});

  choreo::testing::StopBroker();
  const uint64_t confirmed_before_start = confirmed_count;
  choreo::testing::StartBroker();
  EXPECT_TRUE(WaitFor(
      [&] {
        return publisher_error ||
               (publisher_reconnects >= 1 && confirmed_count > confirmed_before_start + 1000);
      },
      seconds(90), milliseconds(50)))
      << "publisher did not resume: confirmed " << confirmed_count << " before start "
      << confirmed_before_start;
  stop = true;
  publisher_thread.join();
  if (publisher_error) std::rethrow_exception(publisher_error);
  EXPECT_EQ(unresolved, 0u) << "every publish gets an outcome";
  EXPECT_GE(publisher_reconnects.load(), 1u);

  std::set<int> expected;
  {
    std::lock_guard lock(mutex);
    expected = confirmed_ids;
  }
  std::set<int> consumed;
  std::size_t missing = expected.size();
  bool all = WaitFor(
      [&] {
        while (auto d = consumer.Next(milliseconds(200))) {
          int id = std::stoi(d->message.body);
          // Redeliveries after the restart are expected (at-least-once); count once.
          if (consumed.insert(id).second && expected.count(id)) --missing;
          consumer.Ack(*d);
          if (missing == 0) break;
        }
        return missing == 0;
      },
      seconds(120), milliseconds(1));
  EXPECT_TRUE(all) << missing << " of " << expected.size() << " confirmed messages are missing";
  EXPECT_GE(consuming.Reconnects(), 1u) << "the consumer's connection was re-established";
  std::cout << "confirmed " << expected.size() << ", failed (to republish) " << failed_count
            << ", consumed distinct " << consumed.size() << ", publisher reconnects "
            << publisher_reconnects << "\n";
}

}  // namespace
}  // namespace choreo::amqp::test
