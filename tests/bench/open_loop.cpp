#include "open_loop.hpp"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "curve_logic.hpp"

namespace choreo::bench {

using Clock = std::chrono::steady_clock;

void OpenLoopOptions::Validate() const {
  if (port <= 0 || port > 65535) throw std::invalid_argument("open loop: no gateway port");
  if (!(rate > 0)) throw std::invalid_argument("open loop: rate must be positive");
  if (connections < 1) throw std::invalid_argument("open loop: at least one connection");
}

namespace {

// One keep-alive connection; a failed exchange drops it and the next one reconnects.
class Sender {
 public:
  explicit Sender(const OpenLoopOptions& options) : options_(options), session_("127.0.0.1", static_cast<Poco::UInt16>(options.port)) {
    session_.setKeepAlive(true);
    session_.setTimeout(Poco::Timespan(static_cast<long>(options.request_timeout.count()), 0));
  }

  void Post(const std::string& body, const std::string& key, SentOrder& order) {
    try {
      Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, "/orders", Poco::Net::HTTPMessage::HTTP_1_1);
      request.setKeepAlive(true);
      request.setContentType("application/json");
      request.setContentLength(static_cast<std::streamsize>(body.size()));
      request.set("Idempotency-Key", key);
      if (!options_.api_key.empty()) request.set("Authorization", "Bearer " + options_.api_key);
      session_.sendRequest(request) << body;
      Poco::Net::HTTPResponse response;
      std::string reply;
      Poco::StreamCopier::copyToString(session_.receiveResponse(response), reply);
      order.status = static_cast<int>(response.getStatus());
      if (order.status == 202) {
        order.order_id = nlohmann::json::parse(reply).at("order_id").get<std::string>();
      } else {
        order.error = reply.substr(0, 200);
      }
      if (!response.getKeepAlive()) session_.reset();
    } catch (const std::exception& e) {  // Poco::Exception is one too
      order.error = e.what();
      session_.reset();
    }
  }

 private:
  const OpenLoopOptions& options_;
  Poco::Net::HTTPClientSession session_;
};

}  // namespace

std::vector<SentOrder> SendOpenLoop(const OpenLoopOptions& options, const std::vector<std::string>& bodies,
                                    const std::function<void()>& between) {
  options.Validate();
  std::vector<SentOrder> orders(bodies.size());
  std::atomic<std::size_t> next{0};
  std::atomic<int> running{options.connections};
  const auto start = Clock::now() + std::chrono::milliseconds(200);
  for (std::size_t i = 0; i < orders.size(); ++i) {
    orders[i].due = start + std::chrono::duration_cast<Clock::duration>(ScheduledOffset(i, options.rate));
  }
  std::vector<std::thread> senders;
  for (int c = 0; c < options.connections; ++c) {
    senders.emplace_back([&] {
      Sender sender(options);
      // Each slot is written by the one thread that took its index.
      for (std::size_t i = next++; i < orders.size(); i = next++) {
        SentOrder& order = orders[i];
        std::this_thread::sleep_until(order.due);
        order.sent = Clock::now();
        sender.Post(bodies[i], options.key_prefix + "-" + std::to_string(i), order);
        order.answered = Clock::now();
      }
      running--;
    });
  }
  while (running.load() > 0) between();
  for (auto& t : senders) t.join();
  return orders;
}

}  // namespace choreo::bench
