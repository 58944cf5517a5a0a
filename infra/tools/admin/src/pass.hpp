#pragma once
// One pass over a dead-letter queue: take every message with basic.get (no auto-ack),
// decide what to do with it, and give back everything not explicitly settled.
//
// Why this shape:
//  - A message held unacknowledged is not handed out again on the same channel, so
//    holding every message until the end of the pass visits each exactly once.
//  - RabbitMQ 3.10 quorum queues put a returned (nacked, requeued) message at the BACK of
//    the queue. Giving back one message while others are still queued would reorder the
//    queue, so a pass always takes the whole queue (as deep as it was at the start) and
//    gives everything back at the end with one nack-all-requeue, in order. --limit only
//    limits what is decided on; the rest is held and given back untouched.
//  - A lost connection or channel returns every held message to the queue (behind the
//    ones not taken yet). The pass then takes until the queue is empty, meets them again
//    and recognises them by Fingerprint(): one it left alone stays left alone; one whose
//    republish was confirmed (only the ack was lost) is acked, not published again; one
//    whose republish was not confirmed is republished. (The order of what stays may then
//    be rotated: the broker already moved those messages to the back.)
//  - A replayed message is acked in the DLQ only after the broker confirmed the
//    republished copy (publisher confirms + mandatory), so no failure loses it.
//  - Reading and publishing use two connections. On one channel, a publisher confirm
//    that arrives while basic.get waits for its reply is queued by rabbitmq-c ahead of the
//    message's content frames, and reading the content then fails and drops the
//    connection. Separately, a publish to a missing exchange closes only the publishing
//    channel, so the messages held by the reader stay held and in order.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "choreo/admin/admin.hpp"
#include "choreo/amqp/connection.hpp"
#include "choreo/amqp/error.hpp"
#include "choreo/amqp/publisher.hpp"

namespace choreo::admin::detail {

struct Decision {
  enum class Kind {
    kHold,     // leave it in the DLQ
    kAck,      // remove it (purge)
    kPublish,  // republish `message` to exchange/routing_key, then ack (replay)
    kFail,     // selected, but cannot be acted on: leave it, count it failed
  };
  Kind kind = Kind::kHold;
  // kHold: whether the message was selected (a dry run's "would ..."), which counts
  // against the limit; otherwise it is "skipped".
  bool selected = false;
  std::string exchange;
  std::string routing_key;
  amqp::Message message;
  std::string reason;  // kFail
};

enum class Settled { kSkipped, kSelectedHeld, kDone, kFailed };

struct PassHooks {
  // Called for a message met for the first time, or met again after its republish was
  // lost with the connection.
  std::function<Decision(const DeadLetter&)> decide;
  // Called once per message with its final state (for kFailed also after a retry).
  std::function<void(const DeadLetter&, Settled, const std::string& reason)> settled;
  std::function<void(const Progress&)> on_progress;
};

struct PassOptions {
  std::string queue;
  std::optional<std::size_t> limit;  // selected messages
  std::size_t window = 64;
  std::optional<double> rate;  // publishes (or acks) per second
  // Republishing one message is tried at most this often (connection losses).
  int max_attempts = 5;
  // In-flight publishes without any confirm for this long are given up (left in the DLQ).
  std::chrono::milliseconds confirm_timeout{60000};
};

class Pass {
 public:
  // `reader` takes and acks DLQ messages. `publisher` (on a Connection of its own,
  // `publisher_connection`) may be null when no decision is kPublish.
  Pass(amqp::Connection& reader, amqp::Connection* publisher_connection,
       amqp::Publisher* publisher, PassOptions options, PassHooks hooks);

  // Throws amqp errors that end the pass (queue gone, broker unreachable for good); held
  // messages then return to the queue when the connection closes.
  void Run();

  const Progress& Counts() const { return progress_; }
  std::size_t LateAcks() const { return late_acks_; }
  uint32_t Depth() const { return depth_; }
  const std::string& Warning() const { return warning_; }

 private:
  enum class State { kHeld, kDone, kFailed, kInFlight, kRetry };
  struct Entry {
    State state = State::kHeld;
    uint64_t seq = 0;
    int attempts = 0;
    std::optional<DeadLetter> letter;  // kRetry: for the report if it never comes back
  };
  struct InFlight {
    amqp::Delivery delivery;
    DeadLetter letter;
    std::string fingerprint;
    std::string exchange;
    std::string routing_key;
    amqp::Message message;    // what was published, for a republish
    uint64_t generation = 0;  // publisher channel the publish went out on
  };

  void Take(amqp::Delivery delivery);
  void Drain(bool wait);
  void Handle(const std::vector<amqp::PublishResult>& results);
  void Settle(const DeadLetter& letter, Settled settled, const std::string& reason);
  void Pace();
  // Publishes `f` and tracks it as in flight.
  void Send(InFlight f);
  void Finish() noexcept;
  void Ack(const amqp::Delivery& delivery);
  bool DoneTaking() const;
  bool Deciding() const;
  bool GenerationChanged();
  // A channel error the pass can continue after (the library has reopened the channel):
  // records an exchange that does not exist or is refused. False: end the pass.
  bool Absorb(const amqp::ChannelClosedError& error);
  template <class F>
  auto Guard(F&& f) -> decltype(f());

  amqp::Connection& reader_;
  amqp::Connection* publisher_connection_;
  amqp::Publisher* publisher_;
  PassOptions options_;
  PassHooks hooks_;

  uint32_t depth_ = 0;
  std::size_t distinct_ = 0;
  std::size_t selected_ = 0;
  std::size_t total_gets_ = 0;
  std::size_t retry_pending_ = 0;
  std::size_t late_acks_ = 0;
  bool retry_added_ = false;
  bool channel_lost_ = false;
  std::size_t held_ = 0;  // unacknowledged deliveries on the reader's current channel  // a channel (or connection) was lost during the pass  // a publish was lost since the queue last looked empty
  uint64_t generation_ = 0;
  std::map<std::string, Entry> entries_;
  std::map<uint64_t, InFlight> in_flight_;
  std::map<std::string, std::string> bad_exchanges_;  // name -> why
  Progress progress_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point next_slot_;
  std::chrono::steady_clock::time_point last_confirm_;
  std::chrono::steady_clock::time_point last_reader_rpc_;
  std::string warning_;
};

}  // namespace choreo::admin::detail
