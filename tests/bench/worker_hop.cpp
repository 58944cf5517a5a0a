// Phase worker: one runtime Worker (SQLite store) whose handler publishes one event per
// message: consume, inbox, handler, outbox, commit, relay publish, ack. Against the raw
// hop, this is what the runtime costs.
#include <cstdio>
#include <memory>
#include <thread>

#include "choreo/contracts/events.hpp"
#include "choreo/contracts/time.hpp"
#include "choreo/testing/testing.hpp"
#include "choreo/worker/worker.hpp"
#include "phases.hpp"

namespace choreo::bench {

using namespace std::chrono_literals;

WorkerHopResult WorkerHop(const Args& args) {
  testing::TestVhost vhost("bench-worker");
  const std::string store_url = "sqlite:" + args.work_dir + "/worker-hop.db";
  WorkerHopResult result;
  result.batch_size = args.worker_batch > 0 ? args.worker_batch : worker::WorkerOptions{}.batch_size;
  auto make_worker = [&] {
    worker::WorkerOptions options;
    options.name = "shipping";  // any worker of the topology; the handler is the bench's own
    options.amqp_url = vhost.AmqpUrl();
    options.store_url = store_url;
    options.batch_size = result.batch_size;
    auto w = std::make_unique<worker::Worker>(options);
    w->On<contracts::InventoryCommitted>([](worker::Context& ctx, const contracts::InventoryCommitted& e) {
      contracts::ShipmentScheduled out;
      out.order_id = e.order_id;
      out.reservation_id = e.reservation_id;
      out.shipment_id = "shp-" + e.order_id;
      out.carrier = "bench";
      out.scheduled_at = contracts::NowRfc3339();
      ctx.Publish(out);
    });
    return w;
  };
  amqp::Connection admin({.url = vhost.AmqpUrl(), .connection_name = "bench-worker-admin"});
  {
    // A first run declares the worker's topology; then the queue is filled while no
    // worker consumes, so the measured run starts with a full queue like the raw hop.
    auto w = make_worker();
    std::thread t([&] { w->Run(); });
    const bool ready = w->WaitUntilReady(60s);
    w->Stop();
    t.join();
    if (!ready) throw std::runtime_error("worker hop: the worker did not start");
  }
  admin.DeclareQueue(amqp::QueueSpec::Quorum("hop-sink"));
  admin.Bind({.queue = "hop-sink", .exchange = "shipping", .routing_key = "shipment.scheduled"});
  Fill(admin, "inventory", "inventory.committed", args.hop_messages,
       [](int) { return JsonMessage(CommittedBody(), "inventory.committed"); });

  auto w = make_worker();
  const auto start = Clock::now();
  std::thread t([&] { w->Run(); });
  const bool done = testing::WaitFor(
      [&] { return admin.InspectQueue("hop-sink").message_count >= static_cast<uint32_t>(args.hop_messages); }, 10min,
      5ms);
  const double seconds = Seconds(Clock::now() - start);
  const worker::WorkerStats stats = w->Stats();
  w->Stop();
  t.join();
  if (!done) throw std::runtime_error("worker hop: not every message arrived in the sink");
  std::printf("  worker hop: %llu handled in %llu transactions (%.1f messages per commit)\n",
              static_cast<unsigned long long>(stats.handled), static_cast<unsigned long long>(stats.transactions),
              stats.transactions ? static_cast<double>(stats.handled) / static_cast<double>(stats.transactions) : 0.0);
  result.hops_per_s = args.hop_messages / seconds;
  return result;
}

}  // namespace choreo::bench
