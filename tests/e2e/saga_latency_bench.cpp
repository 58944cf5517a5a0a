// Time from order.placed to order.confirmed through the whole choreography with real
// processes, over N orders published at a fixed rate. Not a test: prints its figures.
//   saga-latency-bench [--orders 1000] [--rate 100]
// Needs the endpoints infra/test exports (CHOREO_TEST_AMQP_URL, CHOREO_TEST_MGMT_URL): it
// runs in a fresh vhost of that broker.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "choreo/testing/testing.hpp"
#include "system.hpp"

using namespace choreo;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  int orders = 1000;
  double rate = 100;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--orders") orders = std::stoi(argv[i + 1]);
    else if (a == "--rate") rate = std::stod(argv[i + 1]);
  }
  try {
    testing::TestVhost vhost("latency");
    e2e::System system({.amqp_url = vhost.AmqpUrl()});
    system.StartAll();
    e2e::EventPublisher publisher(vhost.AmqpUrl());
    e2e::TerminalWatcher watcher(vhost.AmqpUrl());
    std::vector<std::string> ids;
    std::map<std::string, Clock::time_point> placed_at;
    const auto start = Clock::now();
    for (int i = 0; i < orders; ++i) {
      auto due = start + std::chrono::microseconds(static_cast<int64_t>(1e6 * i / rate));
      while (Clock::now() < due) watcher.Poll(std::chrono::milliseconds(1));
      contracts::OrderPlaced order = e2e::MakeOrder("tok_ok", "DE", {{.sku = "sku-00" + std::to_string(1 + i % 9), .quantity = 1}});
      placed_at[order.order_id] = Clock::now();
      publisher.Publish(contracts::MakeEnvelope(order));
      ids.push_back(order.order_id);
    }
    if (!watcher.WaitForAll(ids, std::chrono::minutes(5))) {
      std::fprintf(stderr, "not every order reached a terminal state\n");
      return 1;
    }
    std::vector<double> ms;
    int confirmed = 0;
    for (const auto& id : ids) {
      confirmed += watcher.Outcome(id) == "CONFIRMED";
      ms.push_back(std::chrono::duration<double, std::milli>(*watcher.TerminalAt(id) - placed_at[id]).count());
    }
    std::sort(ms.begin(), ms.end());
    auto pct = [&](double p) { return ms[std::min(ms.size() - 1, static_cast<std::size_t>(p * ms.size()))]; };
    std::printf("saga latency, order.placed -> order.confirmed, %d orders at %.0f/s (%d confirmed):\n", orders, rate,
                confirmed);
    std::printf("  p50 %.1f ms   p90 %.1f ms   p99 %.1f ms   max %.1f ms\n", pct(0.50), pct(0.90), pct(0.99), ms.back());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "saga-latency-bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
