#include "consume_stage.hpp"

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
  consumer_.reset();
  connection_.reset();
}

std::vector<amqp::Delivery> ConsumeStage::NextBatch() {
  std::optional<amqp::Delivery> first = consumer_->Next(options_.poll_interval);
  if (!first) return {};
  return TakeBatch(std::move(*first), probing_ ? 1 : options_.batch_size,
                   [this] { return consumer_->Next(std::chrono::milliseconds(0)); });
}

void ConsumeStage::Ack(const amqp::Delivery& delivery, bool multiple) { consumer_->Ack(delivery, multiple); }

void ConsumeStage::Return(const amqp::Delivery& delivery) { consumer_->Nack(delivery, /*requeue=*/true); }

void ConsumeStage::Service() noexcept {
  if (connection_) connection_->Service();
}

bool ConsumeStage::WaitUntilConnected(std::chrono::milliseconds timeout) {
  std::unique_lock lock(ready_mutex_);
  return ready_cv_.wait_for(lock, timeout, [this] { return ready_; });
}

}  // namespace choreo::worker::detail
