// Relay throughput next to the raw publish rate of the same broker, in one run:
//   outbox-bench [--amqp-url URL] [--store URL] [--count N]
// 1. raw: N persistent messages published with a pipelined confirm window of 256 to a
//    quorum queue (the best a relay could do);
// 2. relay: N rows appended to the outbox (1,000 per transaction, not timed), then the
//    time the relay takes to publish, confirm and mark them all.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "choreo/amqp/connection.hpp"
#include "choreo/amqp/publisher.hpp"
#include "choreo/outbox/outbox.hpp"
#include "choreo/outbox/relay.hpp"

using namespace choreo;
using Clock = std::chrono::steady_clock;

namespace {

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

std::string Body(long i) {
  return R"({"message_id":"bench-)" + std::to_string(i) +
         R"(","type":"bench.event","version":"1.0","payload":{"order_id":"o-12345","sku":"sku-001","quantity":2}})";
}

}  // namespace

int main(int argc, char** argv) {
  const char* env_url = std::getenv("CHOREO_AMQP_URL");
  std::string amqp_url = env_url ? env_url : "amqp://guest:guest@127.0.0.1:5672/";
  std::string store_url;
  long count = 100000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--amqp-url") amqp_url = argv[i + 1];
    else if (a == "--store") store_url = argv[i + 1];
    else if (a == "--count") count = std::stol(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: %s [--amqp-url URL] [--store URL] [--count N]\n", argv[0]);
      return 2;
    }
  }
  std::string tmp_db;
  if (store_url.empty()) {
    tmp_db = (std::filesystem::temp_directory_path() / ("outbox-bench-" + std::to_string(getpid()) + ".db")).string();
    store_url = "sqlite:" + tmp_db;
  }
  try {
    const std::string suffix = std::to_string(getpid());
    const std::string exchange = "bench.outbox." + suffix, queue = "bench.outbox." + suffix;
    amqp::Connection conn({.url = amqp_url, .connection_name = "outbox-bench"});
    conn.DeclareExchange({.name = exchange, .type = "topic", .auto_delete = false});
    conn.DeclareQueue(amqp::QueueSpec::Quorum(queue));
    conn.Bind({.queue = queue, .exchange = exchange, .routing_key = "#"});

    // 1. raw publish with pipelined confirms
    double raw_rate = 0;
    {
      amqp::Connection pub_conn({.url = amqp_url, .connection_name = "outbox-bench-raw"});
      amqp::Publisher publisher(pub_conn, {.window = 256});
      auto start = Clock::now();
      std::size_t confirmed = 0;
      for (long i = 0; i < count; ++i) {
        amqp::Message m{.body = Body(i), .message_id = "raw-" + std::to_string(i), .content_type = "application/json"};
        publisher.Publish(exchange, "bench.event", m);
        for (auto& r : publisher.PollConfirms()) confirmed += r.outcome == amqp::PublishOutcome::kConfirmed;
      }
      for (auto& r : publisher.WaitForConfirms(std::chrono::minutes(2))) confirmed += r.outcome == amqp::PublishOutcome::kConfirmed;
      double secs = Seconds(start);
      raw_rate = static_cast<double>(count) / secs;
      std::printf("raw publish:  %ld msgs in %.2f s = %8.0f msg/s (%zu confirmed)\n", count, secs, raw_rate, confirmed);
    }
    conn.PurgeQueue(queue);

    // 2. relay
    store::Store store(store_url);
    outbox::InstallSchema(store);
    for (long i = 0; i < count; i += 1000) {
      store.InTransaction([&](store::Tx& tx) {
        for (long j = i; j < std::min(count, i + 1000); ++j) {
          outbox::Append(tx, {.message_id = "row-" + suffix + "-" + std::to_string(j), .exchange = exchange,
                              .routing_key = "bench.event", .body = Body(j), .type = "bench.event"});
        }
      });
    }
    outbox::RelayOptions options;
    options.amqp.url = amqp_url;
    outbox::Relay relay(store, options);
    auto start = Clock::now();
    while (relay.RunOnce() > 0) {
    }
    double secs = Seconds(start);
    double relay_rate = static_cast<double>(count) / secs;
    auto stats = relay.Stats();
    std::printf("outbox relay: %ld rows in %.2f s = %8.0f msg/s (%llu confirmed, pending %lld) = %.0f%% of raw\n", count,
                secs, relay_rate, static_cast<unsigned long long>(stats.confirmed),
                static_cast<long long>(outbox::Status(store).pending), 100.0 * relay_rate / raw_rate);

    conn.DeleteQueue(queue);
    conn.DeleteExchange(exchange);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "outbox-bench: %s\n", e.what());
    return 1;
  }
  if (!tmp_db.empty()) {
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(tmp_db + s);
  }
  return 0;
}
