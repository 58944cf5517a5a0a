#include "connect_order.hpp"

namespace choreo::amqp::detail {

std::vector<std::size_t> ConnectOrder(std::size_t count, std::optional<std::size_t> lost,
                                      std::mt19937_64& rng) {
  std::vector<std::size_t> order;
  order.reserve(count);
  if (!lost || *lost >= count || count == 1) {
    for (std::size_t i = 0; i < count; ++i) order.push_back(i);
    return order;
  }
  // The survivors in list order starting after the lost node, rotated by a random offset.
  const std::size_t survivors = count - 1;
  const std::size_t offset = std::uniform_int_distribution<std::size_t>(0, survivors - 1)(rng);
  for (std::size_t k = 0; k < survivors; ++k) {
    order.push_back((*lost + 1 + (offset + k) % survivors) % count);
  }
  order.push_back(*lost);
  return order;
}

}  // namespace choreo::amqp::detail
