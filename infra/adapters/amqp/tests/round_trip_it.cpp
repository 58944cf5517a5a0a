#include <string>
#include <unordered_map>
#include <vector>

#include "it_support.hpp"

namespace choreo::amqp::test {
namespace {

using std::chrono::milliseconds, std::chrono::seconds;
using choreo::testing::WaitFor;

class RoundTrip : public VhostSuite {};

TEST_F(RoundTrip, TenThousandPersistentMessagesThroughQuorumQueue) {
  constexpr int kCount = 10000;
  const std::string queue = "round-trip";

  Connection publishing(Options("rt-publisher"));
  publishing.DeclareQueue(QueueSpec::Quorum(queue));
  Publisher publisher(publishing);
  std::unordered_map<uint64_t, int> seq_to_index;
  std::vector<PublishResult> results;
  for (int i = 0; i < kCount; ++i) {
    Message m = TextMessage("rt-" + std::to_string(i), std::to_string(i));
    ASSERT_EQ(m.delivery_mode, DeliveryMode::kPersistent);
    seq_to_index[publisher.Publish("", queue, m)] = i;
    if (i % 500 == 0) {
      for (auto& r : publisher.PollConfirms()) results.push_back(std::move(r));
    }
  }
  for (auto& r : publisher.WaitForConfirms(seconds(60))) results.push_back(std::move(r));
  ASSERT_EQ(publisher.Outstanding(), 0u);
  ASSERT_EQ(results.size(), static_cast<std::size_t>(kCount));
  std::vector<int> confirmed(kCount, 0);
  uint64_t previous = 0;
  for (const PublishResult& r : results) {
    EXPECT_EQ(r.outcome, PublishOutcome::kConfirmed) << r.seq << " " << r.reply_text;
    EXPECT_GT(r.seq, previous) << "results come in publish order";
    previous = r.seq;
    ++confirmed.at(seq_to_index.at(r.seq));
  }
  for (int i = 0; i < kCount; ++i) ASSERT_EQ(confirmed[i], 1) << i;

  Connection consuming(Options("rt-consumer"));
  Consumer consumer(consuming, ConsumerOptions{.queue = queue, .prefetch = 256});
  std::vector<int> seen(kCount, 0);
  int received = 0;
  int bad = 0;
  std::optional<Delivery> last_unacked;
  ASSERT_TRUE(WaitFor(
      [&] {
        while (auto d = consumer.Next(milliseconds(200))) {
          int index = std::stoi(d->message.body);
          if (index < 0 || index >= kCount || d->message.message_id != "rt-" + d->message.body ||
              d->message.delivery_mode != DeliveryMode::kPersistent) {
            ++bad;
          } else {
            ++seen[index];
          }
          ++received;
          // Acks every 100th individually-sized batch with `multiple`.
          if (received % 100 == 0) {
            EXPECT_TRUE(consumer.Ack(*d, true));
            last_unacked.reset();
          } else {
            last_unacked = std::move(d);
          }
          if (received == kCount) break;
        }
        return received >= kCount;
      },
      seconds(120), milliseconds(1)));
  if (last_unacked) {
    EXPECT_TRUE(consumer.Ack(*last_unacked, true));
  }
  EXPECT_EQ(bad, 0);
  for (int i = 0; i < kCount; ++i) ASSERT_EQ(seen[i], 1) << "message " << i;
  // No duplicate and nothing left behind once the acks are in.
  EXPECT_FALSE(consumer.Next(milliseconds(300)).has_value());
  EXPECT_TRUE(WaitFor([&] { return publishing.InspectQueue(queue).message_count == 0; }, seconds(10)));
}

}  // namespace
}  // namespace choreo::amqp::test
