#pragma once
// Which consumed deliveries may be acked, when each one caused zero or more pipelined
// publishes: a delivery is done once every publish up to its last one is confirmed and
// every delivery before it is done, so one `multiple` ack covers them all. Pure (the
// delivery type is a parameter), checked by bench_logic_test; used by the raw hop and by
// the forwarders.
#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <utility>

namespace choreo::bench {

template <class Delivery>
class AckTracker {
 public:
  // A publish is in flight from its sequence number until Settle(seq).
  void Published(uint64_t seq) { outstanding_.insert(seq); }
  // A delivery whose publishes (if any) are all Published(); `last_seq` is the highest of
  // them, 0 when it published nothing.
  void Add(uint64_t last_seq, Delivery delivery) { pending_.push_back({last_seq, std::move(delivery)}); }
  void Settle(uint64_t seq) { outstanding_.erase(seq); }

  // Pops every done delivery in consumption order; returns the last one (ack it with
  // multiple = true) and how many there were.
  std::pair<std::optional<Delivery>, std::size_t> TakeDone() {
    std::optional<Delivery> last;
    std::size_t n = 0;
    while (!pending_.empty()) {
      const uint64_t seq = pending_.front().first;
      if (seq != 0 && !outstanding_.empty() && *outstanding_.begin() <= seq) break;
      last = std::move(pending_.front().second);
      pending_.pop_front();
      ++n;
    }
    return {std::move(last), n};
  }

  bool Empty() const { return pending_.empty(); }
  std::size_t Pending() const { return pending_.size(); }
  std::size_t Outstanding() const { return outstanding_.size(); }

 private:
  std::set<uint64_t> outstanding_;
  std::deque<std::pair<uint64_t, Delivery>> pending_;
};

}  // namespace choreo::bench
