#include "session_detail.hpp"

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <thread>

#include "check.hpp"
#include "choreo/log/log.hpp"

namespace choreo::amqp::detail {

// ---------------------------------------------------------------------------------------
// Consuming

std::string Session::AddConsumer(ConsumerOptions options) {
  options.Validate();
  if (options.consumer_tag.empty()) {
    options.consumer_tag = options_.connection_name + "-" + options.queue + "-" +
                           std::to_string(++consumer_counter_);
  }
  if (consumers_.count(options.consumer_tag) != 0) {
    throw std::invalid_argument("duplicate consumer tag " + options.consumer_tag);
  }
  Rpc([&] {
    StartConsume(options);
    return 0;
  });
  std::string tag = options.consumer_tag;
  consumers_.emplace(tag, ConsumerState{std::move(options), {}, false});
  return tag;
}

void Session::RemoveConsumer(const std::string& tag) noexcept {
  auto it = consumers_.find(tag);
  if (it == consumers_.end()) return;
  const bool active = !it->second.cancelled;
  std::deque<Delivery> buffered = std::move(it->second.buffered);
  consumers_.erase(it);
  if (!IsOpen()) return;
  try {
    Attempt([&] {
      if (active) {
        amqp_basic_cancel(conn_, kChannel, Bytes(tag));
        CheckReply(amqp_get_rpc_reply(conn_), Context("cancelling consumer", tag));
      }
      // Handed to nobody: give them back now rather than when the channel closes.
      for (const Delivery& d : buffered) {
        if (d.generation == generation_) {
          CheckStatus(amqp_basic_reject(conn_, kChannel, d.delivery_tag, 1), "requeueing delivery");
        }
      }
    });
  } catch (...) {
    // Called from a destructor; the channel was already recovered or dropped.
  }
}

void Session::OnDeliver(Delivery delivery) {
  auto it = consumers_.find(delivery.consumer_tag);
  if (it == consumers_.end()) {
    // Arrived for a consumer we just cancelled: requeue so it is not stuck unacked.
    CheckStatus(amqp_basic_reject(conn_, kChannel, delivery.delivery_tag, 1), "requeueing delivery");
    return;
  }
  it->second.buffered.push_back(std::move(delivery));
}

void Session::DropBuffered() noexcept {
  // Their tags die with the channel; the broker redelivers them.
  for (auto& [tag, c] : consumers_) c.buffered.clear();
}

std::optional<Delivery> Session::NextDelivery(const std::string& tag, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    auto it = consumers_.find(tag);
    if (it == consumers_.end()) throw std::logic_error("unknown consumer " + tag);
    ConsumerState& c = it->second;
    if (!c.buffered.empty()) {
      Delivery d = std::move(c.buffered.front());
      c.buffered.pop_front();
      return d;
    }
    if (c.cancelled) {
      throw ConsumerCancelledError("consumer " + tag + " on queue '" + c.options.queue +
                                   "' was cancelled by the broker");
    }
    EnsureOpen();
    if (!Pump(Until(deadline)) && Clock::now() >= deadline) return std::nullopt;
  }
}

std::optional<Delivery> Session::Get(const std::string& queue, bool auto_ack) {
  return Rpc([&]() -> std::optional<Delivery> {
    amqp_rpc_reply_t reply = amqp_basic_get(conn_, kChannel, Bytes(queue), auto_ack);
    CheckReply(reply, Context("basic.get from", queue));
    if (reply.reply.id != AMQP_BASIC_GET_OK_METHOD) return std::nullopt;
    const auto* ok = static_cast<const amqp_basic_get_ok_t*>(reply.reply.decoded);
    Delivery d;
    d.delivery_tag = ok->delivery_tag;
    d.redelivered = ok->redelivered != 0;
    d.exchange = String(ok->exchange);
    d.routing_key = String(ok->routing_key);
    d.message_count = ok->message_count;
    d.generation = generation_;
    d.message = ReadContent("reading basic.get message");
    return d;
  });
}

bool Session::Ack(const Delivery& d, bool multiple) {
  if (!IsOpen() || d.generation != generation_) return false;
  return Attempt([&] {
    CheckStatus(amqp_basic_ack(conn_, kChannel, d.delivery_tag, multiple), "basic.ack");
  });
}

bool Session::Nack(const Delivery& d, bool requeue, bool multiple) {
  if (!IsOpen() || d.generation != generation_) return false;
  return Attempt([&] {
    CheckStatus(amqp_basic_nack(conn_, kChannel, d.delivery_tag, multiple, requeue), "basic.nack");
  });
}

bool Session::Reject(const Delivery& d, bool requeue) {
  if (!IsOpen() || d.generation != generation_) return false;
  return Attempt([&] {
    CheckStatus(amqp_basic_reject(conn_, kChannel, d.delivery_tag, requeue), "basic.reject");
  });
}

}  // namespace choreo::amqp::detail
