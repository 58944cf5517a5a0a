// Consume and batch: what one turn of the consuming loop takes from the queue.
#include <gtest/gtest.h>

#include <deque>

#include "consume_stage.hpp"

namespace choreo::worker::detail {
namespace {

amqp::Delivery Tagged(uint64_t tag) {
  amqp::Delivery d;
  d.delivery_tag = tag;
  return d;
}

// Deliveries that "have already arrived"; counts how often it was asked.
struct Arrived {
  std::deque<amqp::Delivery> queue;
  int asked = 0;
  std::optional<amqp::Delivery> operator()() {
    ++asked;
    if (queue.empty()) return std::nullopt;
    amqp::Delivery d = std::move(queue.front());
    queue.pop_front();
    return d;
  }
};

std::vector<uint64_t> Tags(const std::vector<amqp::Delivery>& batch) {
  std::vector<uint64_t> tags;
  for (const auto& d : batch) tags.push_back(d.delivery_tag);
  return tags;
}

TEST(ConsumeStage, TakesWhatHasArrivedUpToTheBatchSizeInQueueOrder) {
  Arrived arrived{{Tagged(2), Tagged(3), Tagged(4), Tagged(5)}};
  auto batch = TakeBatch(Tagged(1), 3, std::ref(arrived));
  EXPECT_EQ(Tags(batch), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(arrived.queue.size(), 2u) << "what is over the batch size stays for the next turn";
}

TEST(ConsumeStage, StopsAtTheFirstGapInsteadOfWaitingForMore) {
  Arrived arrived{{Tagged(2)}};
  auto batch = TakeBatch(Tagged(1), 64, std::ref(arrived));
  EXPECT_EQ(Tags(batch), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(arrived.asked, 2) << "asked once more, found nothing, stopped";
}

TEST(ConsumeStage, ABatchOfOneNeverAsksForMore) {
  // A half-open circuit's probe takes exactly one message.
  Arrived arrived{{Tagged(2)}};
  EXPECT_EQ(Tags(TakeBatch(Tagged(1), 1, std::ref(arrived))), (std::vector<uint64_t>{1}));
  EXPECT_EQ(Tags(TakeBatch(Tagged(7), 0, std::ref(arrived))), (std::vector<uint64_t>{7}));
  EXPECT_EQ(arrived.asked, 0);
}

}  // namespace
}  // namespace choreo::worker::detail
