// The consume stage's held acks against a real broker: deliveries handled one at a time
// are acknowledged by few multiple-acks, every one of them reaches the broker (nothing
// comes back when the stage disconnects), a held ack goes out once nothing else arrives,
// without waiting for the next delivery, and a disconnect in the middle of a batch sends
// none (their deliveries come back rather than be acked unsettled).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "choreo/amqp/connection.hpp"
#include "choreo/amqp/publisher.hpp"
#include "choreo/testing/testing.hpp"
#include "consume_stage.hpp"

namespace choreo::worker::detail {
namespace {

using namespace std::chrono_literals;

class ConsumeAcks : public ::testing::Test {
 protected:
  ConsumeAcks() : vhost_("consume-acks") {}

  ConsumeOptions Options(std::chrono::milliseconds ack_delay) {
    return {.amqp = {.url = vhost_.AmqpUrl(), .connection_name = "consume-acks"},
            .queue = "shipping",  // a work queue of the topology Connect declares
            .prefetch = 256,
            .batch_size = 1,  // one delivery per turn: a paced load, every ack on its own
            .poll_interval = 200ms,
            .ack_delay = ack_delay};
  }

  void Publish(int n) {
    amqp::Connection connection({.url = vhost_.AmqpUrl(), .connection_name = "consume-acks-publisher"});
    amqp::Publisher publisher(connection);
    for (int i = 0; i < n; ++i) {
      publisher.Publish("", "shipping", {.body = "{}", .message_id = "m-" + std::to_string(i)});
    }
    std::size_t confirmed = 0;
    for (const auto& r : publisher.WaitForConfirms(10s)) confirmed += r.outcome == amqp::PublishOutcome::kConfirmed;
    ASSERT_EQ(confirmed, static_cast<std::size_t>(n));
  }

  // A connected stage holding acks up to `ack_delay` that has handled `n` published
  // deliveries one per turn, acking each as the pipeline does.
  std::unique_ptr<ConsumeStage> HandledOneByOne(std::chrono::milliseconds ack_delay, int n) {
    auto stage = std::make_unique<ConsumeStage>(Options(ack_delay));
    stage->Connect(false);
    Publish(n);
    int handled = 0;
    EXPECT_TRUE(testing::WaitFor(
        [&] {
          for (const amqp::Delivery& d : stage->NextBatch()) {
            stage->Ack(d);
            ++handled;
          }
          return handled >= n;
        },
        20s, 0ms))
        << "handled " << handled << " of " << n;
    return stage;
  }

  // Messages ready in the queue, seen from another connection.
  uint32_t Ready() {
    amqp::Connection connection({.url = vhost_.AmqpUrl(), .connection_name = "consume-acks-inspect"});
    return connection.InspectQueue("shipping").message_count;
  }

  testing::TestVhost vhost_;
};

TEST_F(ConsumeAcks, DeliveriesHandledOneByOneAreAckedTogetherAndNoneComesBack) {
  constexpr int kMessages = 40;
  // A delay longer than the whole run: only the half-window rule and the end send.
  std::unique_ptr<ConsumeStage> stage = HandledOneByOne(1000ms, kMessages);
  EXPECT_LE(stage->AckFrames(), 1u) << "40 deliveries handled one at a time took as many ack frames";
  stage->SendHeldAcks();
  EXPECT_LE(stage->AckFrames(), 2u);
  stage->Disconnect(false);
  EXPECT_EQ(Ready(), 0u) << "an ack held by the stage never reached the broker: its delivery came back";
}

// The pipeline disconnects after a broker error that may have ended a batch half-way:
// a multiple-ack then could settle a delivery nobody handled. So Disconnect sends none.
TEST_F(ConsumeAcks, ADisconnectSendsNoHeldAckAndTheirDeliveriesComeBack) {
  constexpr int kMessages = 5;
  std::unique_ptr<ConsumeStage> stage = HandledOneByOne(10s, kMessages);
  stage->Disconnect(true);
  EXPECT_EQ(stage->AckFrames(), 0u);
  EXPECT_TRUE(testing::WaitFor([&] { return Ready() == kMessages; }, 10s, 50ms))
      << "held acks went out with the disconnect; ready: " << Ready();
}

// The pipeline acks a batch with one multiple-ack. Half the prefetch window is counted in
// deliveries, not in those calls: else a fast consumer filled the window with held acks,
// the broker stopped delivering, and each window waited for the delay to run out (a
// single worker at half its speed with a 50 ms hold).
TEST_F(ConsumeAcks, HalfTheWindowHeldInBatchesGoesOutBeforeTheDelay) {
  constexpr int kMessages = 200;  // more than half the window of 256, all ready at once
  ConsumeOptions options = Options(10s);
  options.batch_size = 64;
  auto stage = std::make_unique<ConsumeStage>(options);
  stage->Connect(false);
  Publish(kMessages);
  int handled = 0;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        std::vector<amqp::Delivery> batch = stage->NextBatch();
        if (!batch.empty()) stage->Ack(batch.back(), /*multiple=*/true);
        handled += static_cast<int>(batch.size());
        return handled >= kMessages;
      },
      20s, 0ms))
      << "handled " << handled << " of " << kMessages;
  EXPECT_GE(stage->AckFrames(), 1u) << "128 or more deliveries held in batches, and no ack sent before the delay";
  stage->SendHeldAcks();
  stage->Disconnect(false);
  EXPECT_EQ(Ready(), 0u);
}

TEST_F(ConsumeAcks, WithoutADelayEveryAckGoesOutAtOnce) {
  constexpr int kMessages = 10;
  std::unique_ptr<ConsumeStage> stage = HandledOneByOne(0ms, kMessages);
  EXPECT_EQ(stage->AckFrames(), static_cast<uint64_t>(kMessages));
  stage->Disconnect(false);
  EXPECT_EQ(Ready(), 0u);
}

TEST_F(ConsumeAcks, AHeldAckGoesOutWhenNothingElseArrives) {
  std::unique_ptr<ConsumeStage> stage = HandledOneByOne(50ms, 1);
  EXPECT_EQ(stage->AckFrames(), 0u) << "held, not sent at once";
  // The next turn finds nothing and sends it, within the delay rather than the poll interval.
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(stage->NextBatch().empty());
  EXPECT_EQ(stage->AckFrames(), 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 190ms) << "waited the whole poll interval";
  // And it reached the broker: nothing comes back when the connection goes.
  stage->Disconnect(true);
  EXPECT_EQ(Ready(), 0u);
}

}  // namespace
}  // namespace choreo::worker::detail
