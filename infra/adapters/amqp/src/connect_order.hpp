#pragma once
// The order in which a connection tries the nodes of its URL list. Kept apart from the
// socket code so the policy is tested without a broker (connect_order_test.cpp).
#include <cstddef>
#include <optional>
#include <random>
#include <vector>

namespace choreo::amqp::detail {

// Indexes 0..count-1, each once, in the order to try them in one round.
//  - No node lost yet (the first connect): list order, so the first URL is preferred.
//  - After losing node `lost`: the other nodes first, in list order from a random one
//    (the next one, most likely alone, when there are two), and `lost` last. Starting
//    from a random survivor spreads the clients of a dead node over the survivors rather
//    than piling them all onto its successor, and the dead node is not hammered first;
//    it is still tried, last, because it may be back.
std::vector<std::size_t> ConnectOrder(std::size_t count, std::optional<std::size_t> lost,
                                      std::mt19937_64& rng);

}  // namespace choreo::amqp::detail
