// Stands in for a worker that crashes on a message (a segfault, an OOM kill): consumes
// the queue named by argv[1] on CHOREO_AMQP_URL through choreo::amqp, prints the delivery's
// x-delivery-count and message id, and kills itself with SIGKILL before it acks. The
// broker sees the connection drop with the delivery unacknowledged and takes it back.
// Exits 3 when nothing arrives within 10 s, 2 on any error; otherwise dies by SIGKILL.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <exception>
#include <iostream>

#include "choreo/amqp/amqp.hpp"

int main(int argc, char** argv) {
  const char* url = std::getenv("CHOREO_AMQP_URL");  // not argv: no credentials in `ps`
  if (argc != 2 || url == nullptr) {
    std::cerr << "usage: CHOREO_AMQP_URL=... crash_consumer <queue>\n";
    return 2;
  }
  try {
    choreo::amqp::ConnectionOptions options;
    options.url = url;
    options.connection_name = "crash-consumer";
    choreo::amqp::Connection connection(options);
    choreo::amqp::ConsumerOptions consumer_options;
    consumer_options.queue = argv[1];
    consumer_options.prefetch = 1;
    choreo::amqp::Consumer consumer(connection, consumer_options);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      std::optional<choreo::amqp::Delivery> delivery = consumer.Next(std::chrono::milliseconds(200));
      if (!delivery) continue;
      const choreo::amqp::FieldValue* count = delivery->message.headers.Find("x-delivery-count");
      const int64_t* n = count != nullptr ? count->As<int64_t>() : nullptr;
      std::cout << (n != nullptr ? *n : -1) << " " << delivery->message.message_id << std::endl;
      ::kill(::getpid(), SIGKILL);
    }
    return 3;
  } catch (const std::exception& e) {
    std::cerr << "crash_consumer: " << e.what() << "\n";
    return 2;
  }
}
