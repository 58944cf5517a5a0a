#pragma once
// The order flow without choreo: the real topology (choreo::topology) on a fresh vhost, and
// for every work queue one thread that consumes it (manual acks, prefetch 256) and
// publishes, per delivery, what the real worker publishes for that event (fanout.hpp):
// persistent, mandatory, confirms pipelined (window 256), golden-example bodies with the
// order's ids, the properties the outbox relay sets. No store, no validation, no provider.
// A delivery is acked (multiple) once its publishes are confirmed, as a worker's is.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "choreo/amqp/amqp.hpp"

namespace choreo::bench {

// Messages of the flow, made from the contracts' golden examples: the body of the example
// with a fresh message id, the order's id as correlation id and payload order_id, the
// cause's message id as causation id.
class FlowMessages {
 public:
  FlowMessages();  // every event the fan-out table names, and order.placed
  amqp::Message Make(std::string_view type, const std::string& order_id, const std::string& causation_id) const;
  const std::string& ExchangeOf(std::string_view type) const;

 private:
  struct Template;
  std::vector<std::shared_ptr<const Template>> templates_;
  const Template& Find(std::string_view type) const;
};

struct ForwarderStats {
  std::string queue;
  uint64_t deliveries = 0;
  uint64_t publishes = 0;
  uint64_t returned = 0;    // unroutable (notification.sent: nobody subscribes), as for the relay
  uint64_t failed = 0;      // nacked or lost
  uint64_t unexpected = 0;  // deliveries the fan-out table has no rule for (acked, nothing sent)
  std::string error;        // what stopped the thread early
};

class ForwarderFlow {
 public:
  // Declares the whole topology on `amqp_url` and starts one forwarder per work queue.
  explicit ForwarderFlow(const std::string& amqp_url);
  ~ForwarderFlow();  // Stop()
  ForwarderFlow(const ForwarderFlow&) = delete;
  ForwarderFlow& operator=(const ForwarderFlow&) = delete;

  const FlowMessages& Messages() const { return messages_; }
  // True once every forwarder consumes.
  bool WaitUntilConsuming(std::chrono::milliseconds timeout);
  // True when a forwarder stopped on an error (Stats() says which, after Stop()).
  bool Failed() const { return failed_threads_.load() > 0; }
  // Lets each forwarder settle what it holds, then joins them. Idempotent.
  void Stop();
  // After Stop().
  const std::vector<ForwarderStats>& Stats() const { return stats_; }

 private:
  void Run(std::size_t index);

  std::string amqp_url_;
  FlowMessages messages_;
  std::vector<ForwarderStats> stats_;
  std::atomic<bool> stop_{false};
  std::atomic<int> consuming_{0};
  std::atomic<int> failed_threads_{0};
  std::vector<std::thread> threads_;
};

}  // namespace choreo::bench
