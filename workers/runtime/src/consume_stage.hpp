#pragma once
// Consume and batch: the consuming connection of a component's work queue, and what it
// takes from it at once. The first delivery is waited for (up to poll_interval, which also
// bounds how late a stop is noticed); then whatever has already arrived is taken without
// waiting, up to batch_size: batches grow with load and cost no latency when idle. A
// half-open circuit's probe consumes with prefetch 1 and takes one delivery at a time.
//
// Acks are held up to ack_delay and go out as one multiple-ack (see WorkerOptions). That
// is safe only because the pipeline settles every delivery of a batch (ack, return or
// retry copy) before it asks for the next batch: a multiple-ack through the highest held
// tag then covers nothing still in work. So held acks are sent only from NextBatch and
// from SendHeldAcks at a batch boundary, never in the middle of a batch; Disconnect,
// which a broker error can call half-way through one, drops them (redelivered, caught by
// the inbox).
//
// Used by the consuming thread only (rabbitmq-c: one connection per thread), except
// BrokerConnected and WaitUntilConnected.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "choreo/amqp/connection.hpp"
#include "choreo/amqp/consumer.hpp"
#include "choreo/amqp/options.hpp"

namespace choreo::worker::detail {

// `first`, then what `next` yields (it must not wait) until it yields nothing or the batch
// holds `max` deliveries (max 0 counts as 1). Pure.
std::vector<amqp::Delivery> TakeBatch(amqp::Delivery first, std::size_t max,
                                      const std::function<std::optional<amqp::Delivery>()>& next);

struct ConsumeOptions {
  amqp::ConnectionOptions amqp;
  std::string queue;
  uint16_t prefetch = 256;
  std::size_t batch_size = 64;
  std::chrono::milliseconds poll_interval{200};
  std::chrono::milliseconds ack_delay{0};
};

class ConsumeStage {
 public:
  explicit ConsumeStage(ConsumeOptions options) : options_(std::move(options)) {}
  ConsumeStage(const ConsumeStage&) = delete;
  ConsumeStage& operator=(const ConsumeStage&) = delete;

  // Connects, declares the whole topology and subscribes; `probe`: with prefetch 1.
  void Connect(bool probe);
  // Drops the connection; unacknowledged deliveries go back to the queue. `broker_lost`:
  // the broker went away (readiness says so), rather than a pause of our own.
  void Disconnect(bool broker_lost = true);
  bool Connected() const { return connection_ != nullptr; }
  bool Probing() const { return probing_; }

  // The next batch (see above); empty when nothing arrived within poll_interval. Sends
  // the held acks that are due first, and waits no longer than until the rest are.
  std::vector<amqp::Delivery> NextBatch();
  // Held (see above) unless ack_delay is 0 or a probe runs; `multiple` changes nothing
  // then, since held acks go out as a multiple-ack anyway.
  void Ack(const amqp::Delivery& delivery, bool multiple = false);
  // Sends the held acks now. Only between batches (see above). Never throws.
  void SendHeldAcks() noexcept;
  // Ack frames sent to the broker so far (a held run of acks counts once).
  uint64_t AckFrames() const { return ack_frames_; }
  // Back to the queue as it is (no attempt spent).
  void Return(const amqp::Delivery& delivery);
  // Services heartbeats while the consuming thread is busy elsewhere.
  void Service() noexcept;

  // Thread-safe.
  bool BrokerConnected() const { return broker_connected_.load(); }
  // Blocks until the first subscription succeeded; false on timeout. Thread-safe.
  bool WaitUntilConnected(std::chrono::milliseconds timeout);

 private:
  ConsumeOptions options_;
  std::unique_ptr<amqp::Connection> connection_;
  std::unique_ptr<amqp::Consumer> consumer_;
  bool probing_ = false;
  // Deliveries the held acks cover. Counted by tag, not by Ack call: the pipeline acks a
  // whole batch with one multiple-ack, and the half-window rule is about deliveries.
  std::size_t HeldDeliveries() const;

  // Held acks: the highest tag handled, of which channel generation, since when.
  std::optional<amqp::Delivery> held_;
  std::chrono::steady_clock::time_point held_since_;
  // The highest tag acknowledged to the broker, on channel generation `acked_generation_`
  // (tags start at 1 on every channel).
  uint64_t acked_through_ = 0;
  uint64_t acked_generation_ = 0;
  uint64_t ack_frames_ = 0;
  std::atomic<bool> broker_connected_{false};
  std::mutex ready_mutex_;
  std::condition_variable ready_cv_;
  bool ready_ = false;
};

}  // namespace choreo::worker::detail
