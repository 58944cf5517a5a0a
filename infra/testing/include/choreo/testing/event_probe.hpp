#pragma once
// Drives a worker from the outside in an integration test: publishes events the way their
// producers do (confirmed, so a test never races its own message) and collects what the
// worker emits from a queue of the probe's own bound to the worker's exchange. The
// provider stand-in's ledger is read here too, since payment and notification tests both
// check what reached it.
//
// Failures are recorded with gtest (EXPECT / ADD_FAILURE), so a test keeps going and
// reports everything wrong, exactly as the per-test copies this replaces did.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "choreo/amqp/connection.hpp"
#include "choreo/amqp/publisher.hpp"
#include "choreo/contracts/events.hpp"
#include "choreo/testing/testing.hpp"

namespace choreo::testing {

class EventProbe {
 public:
  // A connection and a confirming publisher of its own on `amqp_url` (a TestVhost's).
  explicit EventProbe(const std::string& amqp_url);
  EventProbe(const EventProbe&) = delete;
  EventProbe& operator=(const EventProbe&) = delete;

  // Publishes `event` on its exchange under its type, as its producer would, and waits
  // for the broker's confirm. Returns the envelope sent.
  template <contracts::Event E>
  contracts::Envelope Publish(const E& event) {
    contracts::Envelope envelope = contracts::MakeEnvelope(event);
    Publish(std::string(E::kExchange), envelope.type, envelope);
    return envelope;
  }
  // An envelope to any exchange and routing key (a replay straight into a work queue).
  void Publish(const std::string& exchange, const std::string& routing_key, const contracts::Envelope& envelope);
  // Any message, also one that is no envelope at all; fails the test unless it is the
  // only one awaiting a confirm and the broker confirms it.
  void PublishRaw(const std::string& exchange, const std::string& routing_key, const amqp::Message& message);

  // Starts collecting what is published on `exchange` under `routing_keys`. The first
  // call declares the probe's queue, later ones only add bindings (binding twice is a
  // no-op), so a test may call it after every worker (re)start.
  void Observe(const std::string& exchange, const std::vector<std::string>& routing_keys = {"#"});
  const std::string& Queue() const { return queue_; }

  // Moves what has arrived into the collected events; returns all of them so far.
  const std::vector<contracts::Envelope>& Drain();

  // The events of type E collected for `order_id` so far, in arrival order.
  template <contracts::Event E>
  std::vector<E> Seen(const std::string& order_id) {
    Drain();
    std::vector<E> out;
    for (const auto& envelope : events_) {
      if (envelope.type == E::kType && envelope.correlation_id == order_id) {
        out.push_back(contracts::PayloadAs<E>(envelope));
      }
    }
    return out;
  }

  // Waits for the `n`-th event of type E for `order_id`; a failed test (and E{}) if it
  // does not come within `timeout`.
  template <contracts::Event E>
  E Await(const std::string& order_id, std::size_t n = 1,
          std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    std::vector<E> got;
    WaitFor([&] { return (got = Seen<E>(order_id)).size() >= n; }, timeout, std::chrono::milliseconds(20));
    if (got.size() < n) {
      ADD_FAILURE() << "no " << E::kType << " #" << n << " for order " << order_id;
      return E{};
    }
    return got[n - 1];
  }

  // How many events of any type were collected for `order_id`.
  std::size_t EventsFor(const std::string& order_id);

  // Publishes `marker`, an event for an order nothing else uses, and waits until the
  // worker emits something for it. The worker handles its queue in order and the relay
  // publishes in commit order, so by then everything emitted for earlier messages has
  // arrived: lets a test assert "nothing else happened" without sleeping. Returns what
  // arrived since the last call, without the answers to markers.
  template <contracts::Event E>
  std::vector<contracts::Envelope> DrainUntilAnswered(const E& marker,
                                                      std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    markers_.insert(marker.order_id);
    Publish(marker);
    return TakeUntilAnswered(marker.order_id, timeout);
  }

  // Takes the next message from `queue` (a dead-letter queue, say), waiting up to
  // `timeout`; nullopt if none came.
  std::optional<amqp::Delivery> AwaitMessage(const std::string& queue, std::chrono::milliseconds timeout);

  amqp::Connection& Connection() { return connection_; }
  amqp::Publisher& Publisher() { return publisher_; }

 private:
  std::vector<contracts::Envelope> TakeUntilAnswered(const std::string& marker, std::chrono::milliseconds timeout);

  amqp::Connection connection_;
  amqp::Publisher publisher_;
  std::string queue_;
  std::vector<contracts::Envelope> events_;
  std::size_t taken_ = 0;  // events_ before this index were returned by DrainUntilAnswered
  std::set<std::string> markers_;
};

// A request to the provider stand-in at `provider_url` (http://host:port); fails the
// test unless it answers 200. Returns the parsed JSON answer.
nlohmann::json ProviderRequest(const std::string& provider_url, const std::string& method, const std::string& path,
                               const std::string& body = "");

// The rows of one ledger table ("charges", "refunds", "emails") whose `field` is `value`.
std::vector<nlohmann::json> LedgerRows(const std::string& provider_url, const std::string& table,
                                       const std::string& field, const std::string& value);

}  // namespace choreo::testing
