#include "consume_stage.hpp"

#include <algorithm>
#include <chrono>

#include "choreo/log/log.hpp"
#include "choreo/topology/declare.hpp"

namespace choreo::worker::detail {

std::vector<amqp::Delivery> TakeBatch(amqp::Delivery first, std::size_t max,
                                      const std::function<std::optional<amqp::Delivery>()>& next) {
  std::vector<amqp::Delivery> batch;
  batch.push_back(std::move(first));
  while (batch.size() < max) {
    std::optional<amqp::Delivery> more = next();
    if (!more) break;
    batch.push_back(std::move(*more));
  }
  return batch;
}

void ConsumeStage::Connect(bool probe) {
  connection_ = std::make_unique<amqp::Connection>(options_.amqp);
  acked_through_ = 0;  // generations and tags start again on a new connection
  acked_generation_ = 0;
  choreo::topology::DeclareAll(*connection_);
  probing_ = probe;
  const uint16_t prefetch = probe ? uint16_t{1} : options_.prefetch;
  consumer_ = std::make_unique<amqp::Consumer>(*connection_,
                                               amqp::ConsumerOptions{.queue = options_.queue, .prefetch = prefetch});
  broker_connected_ = true;
  {
    std::lock_guard lock(ready_mutex_);
    ready_ = true;
  }
  ready_cv_.notify_all();
  log::Info("consuming", {{"queue", options_.queue}, {"prefetch", prefetch}, {"probe", probe}});
}

void ConsumeStage::Disconnect(bool broker_lost) {
  if (broker_lost) broker_connected_ = false;
  // Not sent: a broker error can end a batch half-way, and a multiple-ack then could cover
  // a delivery not yet settled. The broker redelivers them; the inbox catches them.
  // Callers at a batch boundary send them first (SendHeldAcks).
  held_.reset();
  consumer_.reset();
  connection_.reset();
}

std::vector<amqp::Delivery> ConsumeStage::NextBatch() {
  std::chrono::milliseconds wait = options_.poll_interval;
  if (held_) {
    const auto due = held_since_ + options_.ack_delay;
    const auto now = std::chrono::steady_clock::now();
    // Also when half the prefetch window is held: the broker sends no more past it.
    if (now >= due || HeldDeliveries() * 2 >= options_.prefetch) {
      SendHeldAcks();
    } else {
      wait = std::min(wait, std::chrono::ceil<std::chrono::milliseconds>(due - now));
    }
  }
  std::optional<amqp::Delivery> first = consumer_->Next(wait);
  if (!first) {
    SendHeldAcks();  // nothing came while they were held: they are due
    return {};
  }
  return TakeBatch(std::move(*first), probing_ ? 1 : options_.batch_size,
                   [this] { return consumer_->Next(std::chrono::milliseconds(0)); });
}

void ConsumeStage::Ack(const amqp::Delivery& delivery, bool multiple) {
  if (options_.ack_delay.count() == 0 || probing_) {
    if (consumer_->Ack(delivery, multiple)) ++ack_frames_;
    return;
  }
  if (held_ && held_->generation != delivery.generation) held_.reset();  // an older channel's
  if (acked_generation_ != delivery.generation) {
    acked_generation_ = delivery.generation;
    acked_through_ = 0;
  }
  if (!held_) held_since_ = std::chrono::steady_clock::now();
  if (!held_ || delivery.delivery_tag > held_->delivery_tag) {
    amqp::Delivery tag;  // only what an ack reads: no body kept
    tag.delivery_tag = delivery.delivery_tag;
    tag.generation = delivery.generation;
    held_ = std::move(tag);
  }
}

std::size_t ConsumeStage::HeldDeliveries() const {
  if (!held_) return 0;
  // Every delivery after the last one acknowledged, up to the held tag; returned ones among
  // them count too, which only sends the ack a little earlier.
  return static_cast<std::size_t>(held_->delivery_tag - std::min(acked_through_, held_->delivery_tag));
}

void ConsumeStage::SendHeldAcks() noexcept {
  if (!held_) return;
  amqp::Delivery through = std::move(*held_);
  held_.reset();
  if (!consumer_) return;
  try {
    if (consumer_->Ack(through, /*multiple=*/true)) ++ack_frames_;
    if (through.generation == acked_generation_) acked_through_ = through.delivery_tag;
  } catch (...) {
    // A lost connection: the broker redelivers them, the inbox catches them.
  }
}

void ConsumeStage::Return(const amqp::Delivery& delivery) { consumer_->Nack(delivery, /*requeue=*/true); }

void ConsumeStage::Service() noexcept {
  if (connection_) connection_->Service();
}

bool ConsumeStage::WaitUntilConnected(std::chrono::milliseconds timeout) {
  std::unique_lock lock(ready_mutex_);
  return ready_cv_.wait_for(lock, timeout, [this] { return ready_; });
}

}  // namespace choreo::worker::detail
