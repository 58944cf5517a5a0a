#include "pass.hpp"

#include <algorithm>
#include <thread>

namespace choreo::admin::detail {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// "NOT_FOUND - no exchange 'x' in vhost 'v'" / "ACCESS_REFUSED - access to exchange 'x'
// in vhost 'v' refused for user 'u'" -> "x".
std::optional<std::string> ExchangeIn(const std::string& text) {
  const std::string marker = "exchange '";
  auto start = text.find(marker);
  if (start == std::string::npos) return std::nullopt;
  start += marker.size();
  auto end = text.find('\'', start);
  if (end == std::string::npos) return std::nullopt;
  return text.substr(start, end - start);
}

// A reader left alone this long gets an RPC, which services its heartbeats.
constexpr milliseconds kReaderKeepAlive{10000};

}  // namespace

Pass::Pass(amqp::Connection& reader, amqp::Connection* publisher_connection,
           amqp::Publisher* publisher, PassOptions options, PassHooks hooks)
    : reader_(reader),
      publisher_connection_(publisher_connection),
      publisher_(publisher),
      options_(std::move(options)),
      hooks_(std::move(hooks)) {
  if (options_.window == 0) options_.window = 1;
}

template <class F>
auto Pass::Guard(F&& f) -> decltype(f()) {
  for (;;) {
    try {
      return f();
    } catch (const amqp::ChannelClosedError& e) {
      if (!Absorb(e)) throw;
    }
  }
}

bool Pass::Absorb(const amqp::ChannelClosedError& error) {
  // The library has reopened the channel already. On the reader that returned every held
  // message to the queue; the fingerprints sort them out when they come round again.
  const std::string& text = error.ReplyText();
  if (auto exchange = ExchangeIn(text)) {
    if (error.ReplyCode() == amqp::kReplyNotFound) {
      bad_exchanges_[*exchange] = "exchange '" + *exchange + "' does not exist (404 NOT_FOUND)";
      return true;
    }
    if (error.ReplyCode() == amqp::kReplyAccessRefused) {
      bad_exchanges_[*exchange] = "no permission to publish to exchange '" + *exchange + "' (403)";
      return true;
    }
  }
  // Delivery acknowledgement timeout on a very slow run.
  if (error.ReplyCode() == amqp::kReplyPreconditionFailed &&
      text.find("acknowledgement") != std::string::npos) {
    return true;
  }
  return false;
}

bool Pass::GenerationChanged() {
  const uint64_t now = reader_.Generation();
  if (now == generation_) return false;
  generation_ = now;
  channel_lost_ = true;
  held_ = 0;  // the broker took them back
  return true;
}

bool Pass::DoneTaking() const {
  if (retry_pending_ > 0) return false;  // lost republishes must be found again first
  // Once the reader's channel was lost, what it held went back to the queue: keep taking
  // until the queue is empty so that every copy is met again (and acked if its replay
  // was confirmed).
  if (channel_lost_) return false;
  // Holding the whole queue (as deep as it was at the start) before giving anything back
  // keeps the order of what stays.
  return distinct_ >= depth_;
}

bool Pass::Deciding() const { return !options_.limit || selected_ < *options_.limit; }

void Pass::Run() {
  started_ = Clock::now();
  next_slot_ = started_;
  last_confirm_ = started_;
  last_reader_rpc_ = started_;
  generation_ = reader_.Generation();
  depth_ = Guard([&] { return reader_.InspectQueue(options_.queue).message_count; });
  progress_.depth = depth_;
  // Bounds the pass when other processes keep dead-lettering into the queue meanwhile or
  // the connection keeps dropping.
  const std::size_t max_gets = 4 * static_cast<std::size_t>(depth_) + 1000;
  bool queue_empty = false;

  for (;;) {
    Drain(false);
    if (retry_added_) {
      // Copies of lost publishes return to the queue: look again.
      retry_added_ = false;
      queue_empty = false;
    }
    if (queue_empty || DoneTaking()) {
      if (in_flight_.empty()) break;
      Drain(true);
      if (GenerationChanged()) queue_empty = false;
      continue;
    }
    if (total_gets_ >= max_gets) {
      warning_ = "stopped after " + std::to_string(total_gets_) +
                 " reads: the queue kept changing (new dead letters or connection losses)";
      queue_empty = true;
      continue;
    }
    std::optional<amqp::Delivery> delivery =
        Guard([&] { return reader_.Get(options_.queue, /*auto_ack=*/false); });
    ++total_gets_;
    last_reader_rpc_ = Clock::now();
    GenerationChanged();
    if (delivery) ++held_;
    if (!delivery) {
      queue_empty = true;
      continue;
    }
    Take(std::move(*delivery));
  }

  Finish();
  for (auto& [fingerprint, entry] : entries_) {
    if (entry.state != State::kRetry) continue;
    entry.state = State::kFailed;
    DeadLetter unknown;
    unknown.message_id = "(unknown)";
    Settle(entry.letter ? *entry.letter : unknown, Settled::kFailed,
           "connection lost before the republish was confirmed and the message did not come "
           "back to the queue; it is still in the DLQ or another client holds it");
  }
}

void Pass::Take(amqp::Delivery delivery) {
  DeadLetter letter = Describe(delivery.message);
  std::string fingerprint = Fingerprint(letter);
  auto it = entries_.find(fingerprint);
  bool again = false;
  if (it != entries_.end()) {
    Entry& seen = it->second;
    switch (seen.state) {
      case State::kHeld:
      case State::kFailed:
        return;  // left alone before, left alone now; requeued at the end
      case State::kDone:
        // Republished and confirmed (or purged) earlier, but the ack died with the old
        // reader connection: finish the job without publishing it twice.
        Ack(delivery);
        ++late_acks_;
        return;
      case State::kInFlight:
        if (auto f = in_flight_.find(seen.seq); f != in_flight_.end()) {
          // The publish is still pending on the publisher connection while the reader
          // lost this copy and got it back: ack the new copy once it is confirmed.
          f->second.delivery = std::move(delivery);
          return;
        }
        again = true;
        break;
      case State::kRetry:
        --retry_pending_;
        seen.letter.reset();
        again = true;
        break;
    }
  } else {
    ++distinct_;
  }
  Entry& entry = entries_[fingerprint];
  if (!again && !Deciding()) {
    // Beyond --limit: only held, so the queue keeps its order.
    entry.state = State::kHeld;
    return;
  }
  if (!again) ++progress_.examined;
  if (again && entry.attempts >= options_.max_attempts) {
    entry.state = State::kFailed;
    Settle(letter, Settled::kFailed,
           "republish lost with the connection " + std::to_string(entry.attempts) +
               " times; left in the DLQ");
    return;
  }

  Decision decision = hooks_.decide(letter);
  const bool selected = decision.kind != Decision::Kind::kHold || decision.selected;
  if (selected && !again) ++selected_;

  switch (decision.kind) {
    case Decision::Kind::kHold:
      entry.state = State::kHeld;
      Settle(letter, decision.selected ? Settled::kSelectedHeld : Settled::kSkipped, "");
      return;
    case Decision::Kind::kFail:
      entry.state = State::kFailed;
      Settle(letter, Settled::kFailed, decision.reason);
      return;
    case Decision::Kind::kAck:
      // A stale delivery (reader lost meanwhile) cannot be acked; it comes back and is
      // acked then as a kDone fingerprint.
      Ack(delivery);
      entry.state = State::kDone;
      Settle(letter, Settled::kDone, "");
      return;
    case Decision::Kind::kPublish:
      break;
  }

  if (auto bad = bad_exchanges_.find(decision.exchange); bad != bad_exchanges_.end()) {
    entry.state = State::kFailed;
    Settle(letter, Settled::kFailed, bad->second);
    return;
  }
  Pace();
  Send(InFlight{std::move(delivery), std::move(letter), fingerprint, decision.exchange,
                decision.routing_key, std::move(decision.message), 0});
  while (in_flight_.size() >= options_.window) Drain(true);
}

void Pass::Send(InFlight f) {
  Entry& entry = entries_[f.fingerprint];
  ++entry.attempts;
  const uint64_t seq = Guard([&] { return publisher_->Publish(f.exchange, f.routing_key, f.message); });
  f.generation = publisher_connection_->Generation();
  entry.state = State::kInFlight;
  entry.seq = seq;
  if (in_flight_.empty()) last_confirm_ = Clock::now();
  in_flight_.emplace(seq, std::move(f));
}

void Pass::Drain(bool wait) {
  if (publisher_ == nullptr) return;
  std::vector<amqp::PublishResult> results = Guard([&] {
    return wait ? publisher_->WaitForConfirms(milliseconds(1000)) : publisher_->PollConfirms();
  });
  if (!results.empty()) last_confirm_ = Clock::now();
  Handle(results);
  if (wait && !in_flight_.empty() && Clock::now() - last_confirm_ > options_.confirm_timeout) {
    // The broker is up (we would have reconnected otherwise) but says nothing about
    // these: leave their DLQ copies alone. If a copy was in fact routed, the consumer's
    // inbox drops the duplicate a later replay sends.
    for (auto& [seq, f] : in_flight_) {
      entries_[f.fingerprint].state = State::kFailed;
      Settle(f.letter, Settled::kFailed,
             "no publisher confirm within " +
                 std::to_string(options_.confirm_timeout.count() / 1000) + " s; left in the DLQ");
    }
    in_flight_.clear();
  }
  if (wait && Clock::now() - last_reader_rpc_ > kReaderKeepAlive) {
    Guard([&] { return reader_.InspectQueue(options_.queue).message_count; });
    last_reader_rpc_ = Clock::now();
  }
}

void Pass::Handle(const std::vector<amqp::PublishResult>& results) {
  for (const amqp::PublishResult& r : results) {
    auto it = in_flight_.find(r.seq);
    if (it == in_flight_.end()) continue;
    InFlight f = std::move(it->second);
    in_flight_.erase(it);
    Entry& entry = entries_[f.fingerprint];
    if (entry.state != State::kInFlight || entry.seq != r.seq) continue;
    switch (r.outcome) {
      case amqp::PublishOutcome::kConfirmed:
        Ack(f.delivery);
        entry.state = State::kDone;
        Settle(f.letter, Settled::kDone, "");
        break;
      case amqp::PublishOutcome::kReturned:
        entry.state = State::kFailed;
        Settle(f.letter, Settled::kFailed,
               "unroutable: no queue is bound to exchange '" + f.exchange + "' for routing key '" +
                   f.routing_key + "' (" + std::to_string(r.reply_code) + " " + r.reply_text + ")");
        break;
      case amqp::PublishOutcome::kNacked:
        entry.state = State::kFailed;
        Settle(f.letter, Settled::kFailed,
               "the broker refused the message (basic.nack, e.g. the target queue is full)");
        break;
      case amqp::PublishOutcome::kFailed:
        if (auto bad = bad_exchanges_.find(f.exchange); bad != bad_exchanges_.end()) {
          entry.state = State::kFailed;
          Settle(f.letter, Settled::kFailed, bad->second);
        } else if (entry.attempts >= options_.max_attempts) {
          entry.state = State::kFailed;
          Settle(f.letter, Settled::kFailed,
                 "republish lost with the connection " + std::to_string(entry.attempts) +
                     " times; left in the DLQ");
        } else if (f.delivery.generation == reader_.Generation()) {
          // Fate unknown (publisher connection lost), and we still hold the DLQ copy:
          // publish again. If the first one did arrive, the consumer's inbox drops it.
          Send(std::move(f));
        } else {
          // The reader lost its copy too; it comes back to the queue and is republished
          // when the pass meets it again.
          entry.state = State::kRetry;
          entry.letter = std::move(f.letter);
          ++retry_pending_;
          retry_added_ = true;
        }
        break;
    }
  }
}

void Pass::Settle(const DeadLetter& letter, Settled settled, const std::string& reason) {
  switch (settled) {
    case Settled::kSkipped: ++progress_.skipped; break;
    case Settled::kSelectedHeld:
    case Settled::kDone: ++progress_.done; break;
    case Settled::kFailed: ++progress_.failed; break;
  }
  progress_.elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - started_);
  if (hooks_.settled) hooks_.settled(letter, settled, reason);
  if (hooks_.on_progress) hooks_.on_progress(progress_);
}

void Pass::Pace() {
  if (!options_.rate || *options_.rate <= 0) return;
  const auto interval = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(1.0 / *options_.rate));
  // Keep reading confirms (and servicing heartbeats) while waiting for the next slot.
  while (Clock::now() < next_slot_) {
    Drain(false);
    if (Clock::now() - last_reader_rpc_ > kReaderKeepAlive) {
      Guard([&] { return reader_.InspectQueue(options_.queue).message_count; });
      last_reader_rpc_ = Clock::now();
    }
    auto left = next_slot_ - Clock::now();
    std::this_thread::sleep_for(std::min<Clock::duration>(left, milliseconds(20)));
  }
  next_slot_ = std::max(next_slot_, Clock::now() - interval) + interval;
}

void Pass::Ack(const amqp::Delivery& delivery) {
  if (reader_.Ack(delivery) && held_ > 0) --held_;
}

void Pass::Finish() noexcept {
  try {
    if (!reader_.IsOpen()) return;
    // Tag 0 with multiple = every unacknowledged delivery of the channel, in order.
    amqp::Delivery all;
    all.delivery_tag = 0;
    all.generation = reader_.Generation();
    if (!reader_.Nack(all, /*requeue=*/true, /*multiple=*/true)) return;
    // A quorum queue applies the requeue a moment later. Wait for it (briefly), so that
    // the next command (a script running show, then replay) finds the queue as it was.
    const uint32_t expected = static_cast<uint32_t>(std::min<std::size_t>(held_, depth_));
    const auto deadline = Clock::now() + milliseconds(5000);
    while (Clock::now() < deadline &&
           reader_.InspectQueue(options_.queue).message_count < expected) {
      std::this_thread::sleep_for(milliseconds(10));
    }
  } catch (...) {
    // Closing the connection requeues them as well.
  }
}

}  // namespace choreo::admin::detail
