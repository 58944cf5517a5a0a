#include "session_detail.hpp"

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <thread>

#include "check.hpp"
#include "choreo/log/log.hpp"

namespace choreo::amqp::detail {

// ---------------------------------------------------------------------------------------
// Reading frames

Message Session::ReadContent(const char* context) {
  amqp_message_t raw;
  CheckReply(amqp_read_message(conn_, kChannel, &raw, 0), context);
  Message m;
  try {
    m = FromAmqpMessage(raw.properties, raw.body);
  } catch (...) {
    amqp_destroy_message(&raw);
    throw;
  }
  amqp_destroy_message(&raw);
  return m;
}

bool Session::ReadFrame(milliseconds timeout) {
  amqp_frame_t frame;
  timeval tv = ToTimeval(timeout);
  int status = amqp_simple_wait_frame_noblock(conn_, &frame, &tv);
  if (status == AMQP_STATUS_TIMEOUT) return false;
  CheckStatus(status, "reading from broker");
  Dispatch(frame);
  // Decoded frames live in per-channel pools until released; without this a long-lived
  // consumer grows without bound.
  if (IsOpen()) amqp_maybe_release_buffers(conn_);
  return true;
}

void Session::Service() noexcept {
  try {
    // Bounded: a flood of frames must not keep the caller here.
    for (int i = 0; i < 10000 && IsOpen() && Pump(milliseconds(0)); ++i) {
    }
  } catch (...) {
    // A server close or lost socket: the next real call reports and recovers it.
  }
}

// Returns whether anything happened: a frame was handled or the connection was lost.
bool Session::Pump(milliseconds timeout) {
  if (!IsOpen()) return false;
  bool got = false;
  if (!Attempt([&] { got = ReadFrame(timeout); })) return true;
  return got;
}

void Session::Dispatch(const amqp_frame_t& frame) {
  // Content frames are read together with their method; anything else stray (and
  // heartbeats, which rabbitmq-c answers itself) needs no action.
  if (frame.frame_type != AMQP_FRAME_METHOD) return;
  const amqp_method_t& method = frame.payload.method;
  if (frame.channel == 0) {
    switch (method.id) {
      case AMQP_CONNECTION_CLOSE_METHOD: {
        amqp_connection_close_ok_t ok{};
        amqp_send_method(conn_, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);  // best effort
        ThrowClose(method, "connection");
      }
      case AMQP_CONNECTION_BLOCKED_METHOD: blocked_ = true; return;
      case AMQP_CONNECTION_UNBLOCKED_METHOD: blocked_ = false; return;
      default: return;
    }
  }
  if (frame.channel != kChannel) return;
  switch (method.id) {
    case AMQP_BASIC_ACK_METHOD: {
      const auto* ack = static_cast<const amqp_basic_ack_t*>(method.decoded);
      OnConfirm(ack->delivery_tag, ack->multiple != 0, false);
      return;
    }
    case AMQP_BASIC_NACK_METHOD: {
      const auto* nack = static_cast<const amqp_basic_nack_t*>(method.decoded);
      OnConfirm(nack->delivery_tag, nack->multiple != 0, true);
      return;
    }
    case AMQP_BASIC_RETURN_METHOD: {
      const auto* ret = static_cast<const amqp_basic_return_t*>(method.decoded);
      uint16_t code = ret->reply_code;
      std::string text = String(ret->reply_text);
      Message returned = ReadContent("reading returned message");
      OnReturn(code, text, returned);
      return;
    }
    case AMQP_BASIC_DELIVER_METHOD: {
      const auto* deliver = static_cast<const amqp_basic_deliver_t*>(method.decoded);
      Delivery d;
      d.consumer_tag = String(deliver->consumer_tag);
      d.delivery_tag = deliver->delivery_tag;
      d.redelivered = deliver->redelivered != 0;
      d.exchange = String(deliver->exchange);
      d.routing_key = String(deliver->routing_key);
      d.generation = generation_;
      d.message = ReadContent("reading delivery");
      OnDeliver(std::move(d));
      return;
    }
    case AMQP_BASIC_CANCEL_METHOD: {
      const auto* cancel = static_cast<const amqp_basic_cancel_t*>(method.decoded);
      auto it = consumers_.find(String(cancel->consumer_tag));
      if (it != consumers_.end()) it->second.cancelled = true;
      if (!cancel->nowait) {
        amqp_basic_cancel_ok_t ok{cancel->consumer_tag};
        CheckStatus(amqp_send_method(conn_, kChannel, AMQP_BASIC_CANCEL_OK_METHOD, &ok),
                    "acknowledging consumer cancel");
      }
      return;
    }
    case AMQP_CHANNEL_CLOSE_METHOD:
      ThrowClose(method, "channel");
    default:
      return;
  }
}

}  // namespace choreo::amqp::detail
