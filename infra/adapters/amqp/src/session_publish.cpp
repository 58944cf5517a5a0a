#include "session_detail.hpp"

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <thread>

#include "check.hpp"
#include "choreo/log/log.hpp"

namespace choreo::amqp::detail {

// ---------------------------------------------------------------------------------------
// Publishing

void Session::AttachPublisher(const PublisherOptions& options) {
  options.Validate();
  if (publisher_) throw std::logic_error("a Connection supports one Publisher at a time");
  Rpc([&] {
    amqp_confirm_select(conn_, kChannel);
    CheckReply(amqp_get_rpc_reply(conn_), "enabling publisher confirms");
    return 0;
  });
  publisher_ = true;
  publisher_options_ = options;
}

void Session::DetachPublisher() noexcept {
  // Confirm mode cannot be switched off on a channel; later confirms for the dropped
  // entries are simply ignored.
  publisher_ = false;
  pending_.clear();
  results_.clear();
}

uint64_t Session::Publish(const std::string& exchange, const std::string& routing_key,
                          const Message& message) {
  if (!publisher_) throw std::logic_error("Publish without a Publisher");
  // Bounded: a broker that stops confirming (a resource alarm blocks publishers) must not
  // hold the caller here forever; SIGTERM would never be honoured.
  const auto deadline = std::chrono::steady_clock::now() + publisher_options_.window_timeout;
  for (;;) {
    EnsureOpen();
    if (nacked_) ReopenChannelAfterNack();  // see there; may lose the connection
    while (IsOpen() && pending_.size() >= publisher_options_.window) {
      if (std::chrono::steady_clock::now() >= deadline) {
        const std::string why = "no room in the confirm window for " +
                                std::to_string(publisher_options_.window_timeout.count()) + " ms";
        LoseConnection(0, why);
        throw TimeoutError("publishing to exchange '" + exchange + "': " + why, AMQP_STATUS_TIMEOUT);
      }
      Pump(milliseconds(200));
    }
    if (IsOpen()) break;
  }
  const uint64_t seq = ++last_seq_;
  Pending p;
  p.tag = ++next_tag_;
  p.result.seq = seq;
  pending_.push_back(std::move(p));
  scratch_.Recycle();
  amqp_basic_properties_t props =
      ToAmqpProperties(message, scratch_.Get(), static_cast<int64_t>(seq));
  int status = amqp_basic_publish(conn_, kChannel, Bytes(exchange), Bytes(routing_key),
                                  publisher_options_.mandatory, 0, &props, Bytes(message.body));
  if (status != AMQP_STATUS_OK) {
    try {
      // A failed publish may have sent part of its frames: the stream is unusable either
      // way, and the message is reported failed with everything else in flight.
      Attempt([&] { CheckStatus(status, Context("publishing to exchange", exchange)); });
    } catch (...) {
      LoseConnection(0, "publish failed");
      throw;
    }
  }
  return seq;
}

void Session::OnConfirm(uint64_t tag, bool multiple, bool nack) {
  if (pending_.empty()) return;
  auto settle = [&](Pending& p) {
    if (p.resolved) return;
    p.resolved = true;
    if (p.returned) return;  // the return already said why; its ack adds nothing
    p.result.outcome = nack ? PublishOutcome::kNacked : PublishOutcome::kConfirmed;
  };
  if (nack) nacked_ = true;
  if (multiple) {
    // tag 0 with multiple means "everything outstanding" (AMQP 0-9-1 basic.ack).
    for (Pending& p : pending_) {
      if (tag != 0 && p.tag > tag) break;
      settle(p);
    }
  } else {
    const uint64_t first = pending_.front().tag;
    if (tag >= first && tag - first < pending_.size()) settle(pending_[tag - first]);
  }
  // Results are released in publish order so a relay can advance a single watermark.
  while (!pending_.empty() && pending_.front().resolved) {
    results_.push_back(std::move(pending_.front().result));
    pending_.pop_front();
  }
}

void Session::OnReturn(uint16_t reply_code, const std::string& reply_text,
                       const Message& message) {
  std::optional<int64_t> seq = message.headers.GetInt(kPublishSeqHeader);
  if (!seq || pending_.empty()) return;
  const uint64_t first = pending_.front().result.seq;
  const auto s = static_cast<uint64_t>(*seq);
  if (s < first || s - first >= pending_.size()) return;
  Pending& p = pending_[s - first];
  if (p.resolved) return;
  p.returned = true;
  p.result.outcome = PublishOutcome::kReturned;
  p.result.reply_code = reply_code;
  p.result.reply_text = reply_text;
}

void Session::FailPending(uint16_t reply_code, const std::string& why) noexcept {
  for (Pending& p : pending_) {
    if (!p.resolved && !p.returned) {
      p.result.outcome = PublishOutcome::kFailed;
      p.result.reply_code = reply_code;
      p.result.reply_text = why;
    }
    results_.push_back(std::move(p.result));
  }
  pending_.clear();
}

std::vector<PublishResult> Session::TakeResults() {
  std::vector<PublishResult> out;
  out.swap(results_);
  return out;
}

std::vector<PublishResult> Session::PollConfirms() {
  // Bounded so a consumer flood on the same connection cannot keep us here forever.
  for (int i = 0; i < 100000 && IsOpen() && Pump(milliseconds(0)); ++i) {
  }
  return TakeResults();
}

std::vector<PublishResult> Session::WaitForConfirms(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!pending_.empty() && IsOpen()) {
    if (!Pump(Until(deadline)) && Clock::now() >= deadline) break;
  }
  return TakeResults();
}

}  // namespace choreo::amqp::detail
