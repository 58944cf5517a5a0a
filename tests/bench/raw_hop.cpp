// Phase raw: the broker's own limit for one hop, with choreo's settings (persistent
// messages, quorum queues, pipelined confirms, prefetch 256, manual acks): consume from
// hop-a, publish to hop-b, ack with `multiple` up to the last confirmed publish.
#include "ack_tracker.hpp"
#include "choreo/testing/testing.hpp"
#include "phases.hpp"

namespace choreo::bench {

using namespace std::chrono_literals;

double RawHop(const Args& args) {
  testing::TestVhost vhost("bench-raw");
  amqp::Connection admin({.url = vhost.AmqpUrl(), .connection_name = "bench-raw-admin"});
  admin.DeclareQueue(amqp::QueueSpec::Quorum("hop-a"));
  admin.DeclareQueue(amqp::QueueSpec::Quorum("hop-b"));
  Fill(admin, "", "hop-a", args.hop_messages,
       [](int) { return JsonMessage(CommittedBody(), "inventory.committed"); });

  amqp::Connection in({.url = vhost.AmqpUrl(), .connection_name = "bench-raw-in"});
  amqp::Connection out({.url = vhost.AmqpUrl(), .connection_name = "bench-raw-out"});
  amqp::Consumer consumer(in, amqp::ConsumerOptions{.queue = "hop-a", .prefetch = 256});
  amqp::Publisher publisher(out, amqp::PublisherOptions{.window = 256});
  AckTracker<amqp::Delivery> tracker;
  long moved = 0, failed = 0;
  auto settle = [&](const std::vector<amqp::PublishResult>& results) {
    for (const auto& r : results) {
      failed += r.outcome != amqp::PublishOutcome::kConfirmed;
      tracker.Settle(r.seq);
    }
    auto [last, n] = tracker.TakeDone();
    moved += static_cast<long>(n);
    if (last) consumer.Ack(*last, /*multiple=*/true);
  };
  const auto start = Clock::now();
  while (moved < args.hop_messages) {
    std::optional<amqp::Delivery> d = consumer.Next(tracker.Empty() ? 10s : 0ms);
    if (d) {
      amqp::Message m = std::move(d->message);
      m.headers = {};
      const uint64_t seq = publisher.Publish("", "hop-b", m);
      tracker.Published(seq);
      d->message = {};
      tracker.Add(seq, std::move(*d));
      if (tracker.Pending() % 32 == 0) settle(publisher.PollConfirms());
    } else if (tracker.Empty()) {
      throw std::runtime_error("raw hop: queue ran dry after " + std::to_string(moved) + " messages");
    } else {
      settle(publisher.WaitForConfirms(1ms));
    }
  }
  const double seconds = Seconds(Clock::now() - start);
  if (failed > 0) throw std::runtime_error("raw hop: " + std::to_string(failed) + " publishes not confirmed");
  return args.hop_messages / seconds;
}

}  // namespace choreo::bench
