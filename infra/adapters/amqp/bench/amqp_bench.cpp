// amqp-bench: publishes N persistent messages to a fresh quorum queue with pipelined
// publisher confirms, then consumes them with prefetch and multiple acks, and prints the
// rates. Not a test: numbers depend on the machine.
//
//   amqp-bench [--url amqp://user:pass@127.0.0.1:5672/vhost] [--count 100000]
//              [--window 256] [--prefetch 256] [--size 200]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>

#include "choreo/amqp/amqp.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using namespace choreo::amqp;

struct Args {
  std::string url;
  long count = 100000;
  std::size_t window = 256;
  uint16_t prefetch = 256;
  std::size_t size = 200;
};

Args Parse(int argc, char** argv) {
  Args a;
  const char* env = std::getenv("CHOREO_TEST_AMQP_URL");
  a.url = env != nullptr ? env : "amqp://guest:guest@127.0.0.1:5672/";
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << "usage: amqp-bench [--url URL] [--count N] [--window N] [--prefetch N] [--size BYTES]\n";
      std::exit(0);
    }
    if (i + 1 >= argc) throw std::invalid_argument("missing value for " + flag);
    std::string value = argv[++i];
    if (flag == "--url") a.url = value;
    else if (flag == "--count") a.count = std::stol(value);
    else if (flag == "--window") a.window = std::stoul(value);
    else if (flag == "--prefetch") a.prefetch = static_cast<uint16_t>(std::stoul(value));
    else if (flag == "--size") a.size = std::stoul(value);
    else throw std::invalid_argument("unknown flag " + flag);
  }
  if (a.count <= 0) throw std::invalid_argument("--count must be > 0");
  return a;
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

int Run(const Args& args) {
  ConnectionOptions options;
  options.url = args.url;
  options.connection_name = "amqp-bench";
  const std::string queue = "amqp-bench-" + std::to_string(::getpid());

  Connection publishing(options);
  publishing.DeclareQueue(QueueSpec::Quorum(queue));
  long confirmed = 0;
  long other = 0;
  auto count = [&](const std::vector<PublishResult>& results) {
    for (const auto& r : results) (r.outcome == PublishOutcome::kConfirmed ? confirmed : other)++;
  };
  Clock::duration publish_time{};
  {
    Publisher publisher(publishing, PublisherOptions{.window = args.window});
    Message m;
    m.body.assign(args.size, 'x');
    m.content_type = "application/octet-stream";
    auto start = Clock::now();
    for (long i = 0; i < args.count; ++i) {
      m.message_id = std::to_string(i);
      publisher.Publish("", queue, m);
      if (i % 1024 == 0) count(publisher.PollConfirms());
    }
    count(publisher.WaitForConfirms(std::chrono::minutes(5)));
    publish_time = Clock::now() - start;
  }
  std::printf("publish: %ld msgs (%zu B, persistent, quorum, window %zu) in %.2f s = %.0f msg/s; confirmed %ld, other %ld\n",
              args.count, args.size, args.window, Seconds(publish_time),
              static_cast<double>(args.count) / Seconds(publish_time), confirmed, other);

  Connection consuming(options);
  long received = 0;
  Clock::duration consume_time{};
  {
    Consumer consumer(consuming, ConsumerOptions{.queue = queue, .prefetch = args.prefetch});
    const long batch = std::max<long>(1, args.prefetch / 2);
    auto start = Clock::now();
    std::optional<Delivery> last;
    while (received < confirmed) {
      std::optional<Delivery> d = consumer.Next(std::chrono::seconds(5));
      if (!d) break;
      ++received;
      // One ack per half window keeps the broker streaming without an ack per message.
      if (received % batch == 0 || received == confirmed) {
        consumer.Ack(*d, true);
        last.reset();
      } else {
        last = std::move(d);
      }
    }
    if (last) consumer.Ack(*last, true);
    consume_time = Clock::now() - start;
  }
  std::printf("consume: %ld msgs (prefetch %u, multiple acks every %d) in %.2f s = %.0f msg/s\n",
              received, args.prefetch, std::max(1, args.prefetch / 2), Seconds(consume_time),
              static_cast<double>(received) / Seconds(consume_time));
  publishing.DeleteQueue(queue);
  return received == confirmed ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(Parse(argc, argv));
  } catch (const std::exception& e) {
    std::cerr << "amqp-bench: " << e.what() << "\n";
    return 2;
  }
}
