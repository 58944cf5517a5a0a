// The order in which a connection tries the nodes of its URL list (connect_order.hpp).
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <vector>

#include "connect_order.hpp"

namespace choreo::amqp::detail {
namespace {

using Order = std::vector<std::size_t>;

TEST(ConnectOrder, FirstConnectFollowsTheList) {
  std::mt19937_64 rng(1);
  EXPECT_EQ(ConnectOrder(1, std::nullopt, rng), (Order{0}));
  EXPECT_EQ(ConnectOrder(4, std::nullopt, rng), (Order{0, 1, 2, 3}));
}

TEST(ConnectOrder, OneNodeIsRetriedAlone) {
  std::mt19937_64 rng(1);
  EXPECT_EQ(ConnectOrder(1, 0, rng), (Order{0}));
}

TEST(ConnectOrder, TwoNodesGoToTheOther) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(ConnectOrder(2, 0, rng), (Order{1, 0}));
    EXPECT_EQ(ConnectOrder(2, 1, rng), (Order{0, 1}));
  }
}

TEST(ConnectOrder, AfterALossEveryNodeOnceAndTheLostOneLast) {
  std::mt19937_64 rng(7);
  for (std::size_t count : {3u, 5u}) {
    for (std::size_t lost = 0; lost < count; ++lost) {
      for (int i = 0; i < 50; ++i) {
        Order order = ConnectOrder(count, lost, rng);
        ASSERT_EQ(order.size(), count);
        EXPECT_EQ(std::set<std::size_t>(order.begin(), order.end()).size(), count);
        EXPECT_NE(order.front(), lost) << "the dead node must not be tried first";
        EXPECT_EQ(order.back(), lost);
        // Survivors keep their list order (wrapping), from wherever the round starts.
        for (std::size_t k = 1; k + 1 < count; ++k) {
          std::size_t expected = (order[k - 1] + 1) % count;
          if (expected == lost) expected = (expected + 1) % count;
          EXPECT_EQ(order[k], expected);
        }
      }
    }
  }
}

// Many clients dropped by one dead node must not all land on the same survivor.
TEST(ConnectOrder, ClientsOfADeadNodeSpreadOverTheSurvivors) {
  std::mt19937_64 rng(42);
  std::map<std::size_t, int> first;
  constexpr int kClients = 1000;
  for (int i = 0; i < kClients; ++i) ++first[ConnectOrder(3, 0, rng).front()];
  EXPECT_EQ(first.count(0), 0u);
  EXPECT_GT(first[1], kClients / 3);
  EXPECT_GT(first[2], kClients / 3);
}

TEST(ConnectOrder, AnIndexOutOfRangeIsTreatedAsNoLoss) {
  std::mt19937_64 rng(1);
  EXPECT_EQ(ConnectOrder(3, 9, rng), (Order{0, 1, 2}));
}

}  // namespace
}  // namespace choreo::amqp::detail
