// Phase flow: the limit of the order flow on this machine. The same exchanges, queues,
// bindings, message sizes and fan-out per order as the real flow, with every worker
// replaced by a bare forwarder (forwarder.hpp): what the broker and the client library
// allow, before any store, validation or provider call. Orders enter as order.placed
// (golden example); an order is done when its order.confirmed is seen. Like the saga: a
// warm-up, then a burst, timed from the first publish to the last order.confirmed.
#include <algorithm>
#include <cstdio>

#include "choreo/contracts/envelope.hpp"
#include "choreo/testing/testing.hpp"
#include "fanout.hpp"
#include "forwarder.hpp"
#include "phases.hpp"

namespace choreo::bench {

using namespace std::chrono_literals;

namespace {

FlowResult FlowOn(const Args& args, testing::TestVhost& vhost) {
  FlowResult result;
  const FlowCount count = SimulateOrder();
  result.publishes_per_order = count.publishes;
  result.deliveries_per_order = count.deliveries;
  result.orders = args.flow_orders;

  ForwarderFlow flow(vhost.AmqpUrl());
  e2e::TerminalWatcher watcher(vhost.AmqpUrl());
  if (!flow.WaitUntilConsuming(30s)) throw std::runtime_error("flow: the forwarders did not start");

  amqp::Connection connection({.url = vhost.AmqpUrl(), .connection_name = "bench-flow-orders"});
  amqp::Publisher publisher(connection, amqp::PublisherOptions{.window = 256});
  long failed = 0;
  auto check = [&](const std::vector<amqp::PublishResult>& results) {
    for (const auto& r : results) failed += r.outcome != amqp::PublishOutcome::kConfirmed;
  };
  std::vector<std::string> ids;
  auto submit = [&] {
    const std::string order_id = contracts::NewUuid();
    publisher.Publish("orders", "order.placed", flow.Messages().Make("order.placed", order_id, order_id));
    ids.push_back(order_id);
    if (ids.size() % 64 == 0) check(publisher.PollConfirms());
  };
  // Every order of the vhost is ours: done when as many orders have a terminal event.
  auto wait_all = [&](const char* what) {
    check(publisher.WaitForConfirms(1min));
    if (failed > 0) throw std::runtime_error(std::string("flow: ") + std::to_string(failed) + " orders not confirmed by the broker");
    const bool done = testing::WaitFor([&] { return flow.Failed() || watcher.Poll(1ms) >= ids.size(); }, 5min, 0ms);
    if (flow.Failed() || !done) {
      flow.Stop();
      std::string why;
      for (const auto& s : flow.Stats()) {
        if (!s.error.empty()) why += " " + s.queue + ": " + s.error + ";";
      }
      throw std::runtime_error(std::string("flow: ") + what + " did not complete;" + why);
    }
  };

  for (int i = 0; i < 200; ++i) submit();
  wait_all("the warm-up");
  const std::size_t first = ids.size();
  const auto start = Clock::now();
  for (int i = 0; i < args.flow_orders; ++i) {
    submit();
    if (i % 256 == 0) watcher.Poll(0ms);
  }
  wait_all("the burst");
  Clock::time_point last = start;
  for (std::size_t i = first; i < ids.size(); ++i) last = std::max(last, *watcher.TerminalAt(ids[i]));
  result.orders_per_s = args.flow_orders / Seconds(last - start);
  std::printf("  flow: %d orders in %.2f s = %.0f orders/s (%d publishes, %d deliveries per order)\n", args.flow_orders,
              Seconds(last - start), result.orders_per_s, result.publishes_per_order, result.deliveries_per_order);

  flow.Stop();
  for (const auto& s : flow.Stats()) {
    result.forwarders[s.queue] = {{"deliveries", s.deliveries}, {"publishes", s.publishes}, {"returned", s.returned},
                                  {"failed", s.failed}, {"unexpected", s.unexpected}};
    if (s.failed > 0 || !s.error.empty()) {
      throw std::runtime_error("flow: forwarder " + s.queue + ": " + std::to_string(s.failed) + " publishes failed " + s.error);
    }
  }
  return result;
}

}  // namespace

FlowResult FlowLimit(const Args& args) {
  testing::TestVhost vhost("bench-flow");
  return FlowOn(args, vhost);
}

FlowResult ClusterFlowLimit(const Args& args) {
  testing::TestVhost vhost("bench-cluster-flow", ClusterBroker(args));
  return FlowOn(args, vhost);
}

}  // namespace choreo::bench
