#include "forwarder.hpp"

#include <stdexcept>

#include "ack_tracker.hpp"
#include "choreo/contracts/catalog.hpp"
#include "choreo/contracts/envelope.hpp"
#include "choreo/contracts/topology.hpp"
#include "choreo/contracts/validation.hpp"
#include "choreo/testing/testing.hpp"
#include "choreo/topology/declare.hpp"
#include "common.hpp"
#include "fanout.hpp"

namespace choreo::bench {

using namespace std::chrono_literals;

// The serialized example cut at its ids: pieces[0] id[0] pieces[1] id[1] ... pieces[n].
struct FlowMessages::Template {
  std::string type;
  std::string exchange;
  amqp::Message properties;  // everything but the ids and the body
  std::vector<std::string> pieces;
  std::vector<char> slots;  // 'm' message id, 'o' order id, 'c' causation id
};

namespace {

constexpr std::string_view kMessageSlot = "@@bench-message-id@@";
constexpr std::string_view kOrderSlot = "@@bench-order-id@@";
constexpr std::string_view kCausationSlot = "@@bench-causation-id@@";

}  // namespace

FlowMessages::FlowMessages() {
  std::vector<std::string> types = {"order.placed"};
  for (const FanoutRule& rule : HappyPathFanout()) {
    for (std::string_view t : rule.emits) types.emplace_back(t);
  }
  for (const std::string& type : types) {
    bool known = false;
    for (const auto& t : templates_) known = known || t->type == type;
    if (known) continue;
    const contracts::EventInfo* info = contracts::FindEvent(type);
    if (info == nullptr) throw std::logic_error("fan-out names unknown event " + type);
    // The example's own properties, as the outbox relay would set them (expiration of the
    // reservation deadline included).
    const contracts::AmqpProperties p = contracts::ToAmqpProperties(contracts::ParseAndValidate(GoldenExample(type).dump()));
    auto t = std::make_shared<Template>();
    t->type = type;
    t->exchange = std::string(info->exchange);
    t->properties.content_type = p.content_type;
    t->properties.type = p.type;
    t->properties.app_id = p.app_id;
    t->properties.expiration = p.expiration;
    t->properties.delivery_mode = amqp::DeliveryMode::kPersistent;
    json body = GoldenExample(type);
    body["message_id"] = std::string(kMessageSlot);
    body["correlation_id"] = std::string(kOrderSlot);
    body["causation_id"] = std::string(kCausationSlot);
    body["payload"]["order_id"] = std::string(kOrderSlot);
    const std::string text = body.dump();
    std::size_t from = 0;
    while (true) {
      std::size_t best = std::string::npos;
      char slot = 0;
      std::size_t length = 0;
      for (auto [marker, c] : {std::pair{kMessageSlot, 'm'}, std::pair{kOrderSlot, 'o'}, std::pair{kCausationSlot, 'c'}}) {
        const std::size_t at = text.find(marker, from);
        if (at < best) {
          best = at;
          slot = c;
          length = marker.size();
        }
      }
      t->pieces.push_back(text.substr(from, best == std::string::npos ? std::string::npos : best - from));
      if (best == std::string::npos) break;
      t->slots.push_back(slot);
      from = best + length;
    }
    templates_.push_back(std::move(t));
  }
}

const FlowMessages::Template& FlowMessages::Find(std::string_view type) const {
  for (const auto& t : templates_) {
    if (t->type == type) return *t;
  }
  throw std::logic_error("no message template for " + std::string(type));
}

const std::string& FlowMessages::ExchangeOf(std::string_view type) const { return Find(type).exchange; }

amqp::Message FlowMessages::Make(std::string_view type, const std::string& order_id,
                                 const std::string& causation_id) const {
  const Template& t = Find(type);
  amqp::Message m = t.properties;
  m.message_id = contracts::NewUuid();
  m.correlation_id = order_id;
  m.headers.Set(std::string(contracts::kVersionHeader), amqp::FieldValue(std::string("1.0")));
  m.headers.Set(std::string(contracts::kCausationHeader), amqp::FieldValue(causation_id));
  m.body.reserve(t.pieces.size() * 64 + 256);
  for (std::size_t i = 0; i < t.pieces.size(); ++i) {
    m.body += t.pieces[i];
    if (i < t.slots.size()) m.body += t.slots[i] == 'm' ? m.message_id : t.slots[i] == 'o' ? order_id : causation_id;
  }
  return m;
}

ForwarderFlow::ForwarderFlow(const std::string& amqp_url) : amqp_url_(amqp_url) {
  {
    amqp::Connection admin({.url = amqp_url_, .connection_name = "bench-flow-topology"});
    topology::DeclareAll(admin);
  }
  for (const auto& worker : contracts::topology::Workers()) stats_.push_back({.queue = worker.work.name});
  for (std::size_t i = 0; i < stats_.size(); ++i) threads_.emplace_back([this, i] { Run(i); });
}

ForwarderFlow::~ForwarderFlow() { Stop(); }

bool ForwarderFlow::WaitUntilConsuming(std::chrono::milliseconds timeout) {
  return testing::WaitFor([&] { return consuming_.load() == static_cast<int>(stats_.size()); }, timeout, 10ms);
}

void ForwarderFlow::Stop() {
  stop_ = true;
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void ForwarderFlow::Run(std::size_t index) {
  ForwarderStats& stats = stats_[index];
  try {
    amqp::Connection in({.url = amqp_url_, .connection_name = "bench-flow-" + stats.queue + "-in"});
    amqp::Connection out({.url = amqp_url_, .connection_name = "bench-flow-" + stats.queue + "-out"});
    amqp::Consumer consumer(in, amqp::ConsumerOptions{.queue = stats.queue, .prefetch = 256});
    amqp::Publisher publisher(out, amqp::PublisherOptions{.window = 256});
    consuming_++;
    AckTracker<amqp::Delivery> tracker;
    auto settle = [&](const std::vector<amqp::PublishResult>& results) {
      for (const auto& r : results) {
        if (r.outcome == amqp::PublishOutcome::kReturned) stats.returned++;
        else if (r.outcome != amqp::PublishOutcome::kConfirmed) stats.failed++;
        tracker.Settle(r.seq);
      }
      auto done = tracker.TakeDone();
      if (done.first) consumer.Ack(*done.first, /*multiple=*/true);
    };
    while (!stop_ || !tracker.Empty()) {
      std::optional<amqp::Delivery> d = consumer.Next(tracker.Empty() ? 100ms : 0ms);
      if (!d) {
        settle(tracker.Outstanding() > 0 ? publisher.WaitForConfirms(1ms) : std::vector<amqp::PublishResult>{});
        continue;
      }
      stats.deliveries++;
      uint64_t last_seq = 0;
      if (const FanoutRule* rule = FindRule(stats.queue, d->message.type)) {
        for (std::string_view type : rule->emits) {
          last_seq = publisher.Publish(messages_.ExchangeOf(type), std::string(type),
                                       messages_.Make(type, d->message.correlation_id, d->message.message_id));
          tracker.Published(last_seq);
          stats.publishes++;
        }
      } else {
        stats.unexpected++;
      }
      d->message = {};
      tracker.Add(last_seq, std::move(*d));
      if (stats.deliveries % 32 == 0) settle(publisher.PollConfirms());
    }
  } catch (const std::exception& e) {
    stats.error = e.what();
    failed_threads_++;
  }
}

}  // namespace choreo::bench
