#include "session_detail.hpp"

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <thread>

#include "check.hpp"
#include "choreo/log/log.hpp"
#include "connect_order.hpp"

namespace choreo::amqp::detail {

Session::Session(ConnectionOptions options) : options_(std::move(options)) {
  options_.Validate();
  urls_ = ParseUrls(options_.url);
  Open();
}

Session::~Session() { CloseQuietly(); }

// ---------------------------------------------------------------------------------------
// Connection lifecycle

// One round over the nodes (ConnectOrder). A node that cannot be reached, or that closes
// the connection as it shuts down or boots, passes the turn to the next one; a refusal
// that every node of a cluster would repeat (credentials, vhost) or a topology that no
// longer matches ends the round at once.
void Session::Open() {
  const bool reconnect = node_.has_value();
  std::vector<std::string> unreachable;
  std::exception_ptr last_error;
  int last_status = AMQP_STATUS_SOCKET_ERROR;
  for (std::size_t index : ConnectOrder(urls_.size(), node_, rng_)) {
    const std::string endpoint = Endpoint(urls_[index]);
    auto failed = [&](const std::string& what) {
      // Most contexts ("connecting to host:port") already name the node.
      unreachable.push_back(what.find(endpoint) == std::string::npos ? endpoint + ": " + what : what);
      last_error = std::current_exception();
    };
    try {
      OpenNode(urls_[index]);
    } catch (const ConnectionError& e) {
      last_status = e.Status();
      failed(e.what());
      continue;
    } catch (const ServerClosedError& e) {
      if (!e.Retryable()) throw;
      failed(e.what());
      continue;
    }
    node_ = index;
    node_name_ = endpoint;
    // Routine (the first node of the list at the first try) at debug; a failover or a
    // reconnect, which an operator wants to see, at info. host:port only: the URL holds
    // the password.
    nlohmann::json fields = {{"connection", options_.connection_name}, {"node", endpoint},
                             {"reconnect", reconnect}};
    if (!unreachable.empty()) fields["unreachable"] = unreachable;
    log::Write(reconnect || !unreachable.empty() ? log::Level::kInfo : log::Level::kDebug,
               "amqp connected", fields);
    return;
  }
  if (urls_.size() == 1) std::rethrow_exception(last_error);  // the error it always was
  std::string why = "no node of the list could be reached:";
  for (const std::string& u : unreachable) why += " [" + u + "]";
  throw ConnectionError(why, last_status);
}

void Session::OpenNode(const AmqpUrl& url) {
  conn_ = amqp_new_connection();
  if (conn_ == nullptr) CheckStatus(AMQP_STATUS_NO_MEMORY, "creating connection");
  const std::string endpoint = Endpoint(url);
  try {
    amqp_socket_t* socket = amqp_tcp_socket_new(conn_);
    if (socket == nullptr) CheckStatus(AMQP_STATUS_NO_MEMORY, "creating socket");
    timeval connect_timeout = ToTimeval(options_.connect_timeout);
    CheckStatus(amqp_socket_open_noblock(socket, url.host.c_str(), url.port, &connect_timeout),
                "connecting to " + endpoint);
    CheckStatus(amqp_set_handshake_timeout(conn_, &connect_timeout), "setting handshake timeout");
    timeval rpc_timeout = ToTimeval(options_.rpc_timeout);
    CheckStatus(amqp_set_rpc_timeout(conn_, &rpc_timeout), "setting RPC timeout");

    // Without consumer_cancel_notify the broker would silently drop a consumer whose
    // queue is deleted; connection.blocked tells us why publishes stall on an alarm.
    amqp_table_entry_t capabilities[2];
    capabilities[0].key = amqp_cstring_bytes("consumer_cancel_notify");
    capabilities[0].value.kind = AMQP_FIELD_KIND_BOOLEAN;
    capabilities[0].value.value.boolean = 1;
    capabilities[1].key = amqp_cstring_bytes("connection.blocked");
    capabilities[1].value.kind = AMQP_FIELD_KIND_BOOLEAN;
    capabilities[1].value.value.boolean = 1;
    amqp_table_entry_t properties[3];
    properties[0].key = amqp_cstring_bytes("connection_name");
    properties[0].value.kind = AMQP_FIELD_KIND_UTF8;
    properties[0].value.value.bytes = Bytes(options_.connection_name);
    properties[1].key = amqp_cstring_bytes("product");
    properties[1].value.kind = AMQP_FIELD_KIND_UTF8;
    properties[1].value.value.bytes = amqp_cstring_bytes("choreo");
    properties[2].key = amqp_cstring_bytes("capabilities");
    properties[2].value.kind = AMQP_FIELD_KIND_TABLE;
    properties[2].value.value.table = amqp_table_t{2, capabilities};
    amqp_table_t client_properties{3, properties};

    CheckReply(amqp_login_with_properties(conn_, url.vhost.c_str(), 0,
                                          static_cast<int>(options_.frame_max),
                                          options_.heartbeat_seconds, &client_properties,
                                          AMQP_SASL_METHOD_PLAIN, url.user.c_str(),
                                          url.password.c_str()),
               "logging in to " + endpoint + " vhost '" + url.vhost + "'");
    OpenChannel();
    RestoreTopology();
    RestoreChannelState();
  } catch (...) {
    amqp_destroy_connection(conn_);
    conn_ = nullptr;
    throw;
  }
}

void Session::OpenChannel() {
  amqp_channel_open(conn_, kChannel);
  CheckReply(amqp_get_rpc_reply(conn_), "opening channel");
  ++generation_;
  next_tag_ = 0;
  nacked_ = false;
}

void Session::RestoreTopology() {
  // Order matters: bindings need both ends.
  Pool pool;
  for (const ExchangeSpec& e : exchanges_) {
    amqp_exchange_declare(conn_, kChannel, Bytes(e.name), Bytes(e.type), 0, e.durable,
                          e.auto_delete, e.internal, ToAmqpTable(e.arguments, pool.Get()));
    CheckReply(amqp_get_rpc_reply(conn_), Context("re-declaring exchange", e.name));
  }
  for (const QueueSpec& q : queues_) {
    FieldTable args = q.Arguments();
    amqp_queue_declare(conn_, kChannel, Bytes(q.name), 0, q.durable, q.exclusive, q.auto_delete,
                       ToAmqpTable(args, pool.Get()));
    CheckReply(amqp_get_rpc_reply(conn_), Context("re-declaring queue", q.name));
  }
  for (const BindingSpec& b : bindings_) {
    amqp_queue_bind(conn_, kChannel, Bytes(b.queue), Bytes(b.exchange), Bytes(b.routing_key),
                    ToAmqpTable(b.arguments, pool.Get()));
    CheckReply(amqp_get_rpc_reply(conn_), Context("re-binding queue", b.queue));
  }
}

void Session::StartConsume(const ConsumerOptions& o) {
  Pool pool;
  amqp_basic_qos(conn_, kChannel, 0, o.prefetch, 0);
  CheckReply(amqp_get_rpc_reply(conn_), Context("setting prefetch for", o.queue));
  amqp_basic_consume(conn_, kChannel, Bytes(o.queue), Bytes(o.consumer_tag), 0, 0, o.exclusive,
                     ToAmqpTable(o.arguments, pool.Get()));
  CheckReply(amqp_get_rpc_reply(conn_), Context("consuming from", o.queue));
}

void Session::RestoreChannelState() {
  if (publisher_) {
    amqp_confirm_select(conn_, kChannel);
    CheckReply(amqp_get_rpc_reply(conn_), "enabling publisher confirms");
  }
  for (auto& [tag, c] : consumers_) {
    if (c.cancelled) continue;
    try {
      StartConsume(c.options);
    } catch (const ChannelClosedError&) {
      // The queue is gone (404) or exclusively used (403/405): report it through
      // Next() as a cancelled consumer instead of failing the whole connection.
      c.cancelled = true;
      SendChannelCloseOk();
      OpenChannel();
      RestoreChannelState();
      return;
    }
  }
}

void Session::CloseQuietly() noexcept {
  if (conn_ == nullptr) return;
  // A dying broker must not hold up shutdown for the whole RPC timeout.
  timeval quick = ToTimeval(milliseconds(2000));
  amqp_set_rpc_timeout(conn_, &quick);
  amqp_channel_close(conn_, kChannel, AMQP_REPLY_SUCCESS);
  amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(conn_);
  conn_ = nullptr;
}

void Session::LoseConnection(uint16_t reply_code, const std::string& why) noexcept {
  FailPending(reply_code, why);
  DropBuffered();
  blocked_ = false;
  if (conn_ != nullptr) {
    // No close handshake: the peer is gone or the stream is out of step.
    amqp_destroy_connection(conn_);
    conn_ = nullptr;
  }
}

void Session::SendChannelCloseOk() {
  amqp_channel_close_ok_t ok{};
  CheckStatus(amqp_send_method(conn_, kChannel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok),
              "acknowledging channel close");
}

// Runs `op`, which replaces the channel; when that fails too (the connection broke, or
// the broker closed the new channel or the old one first) the connection is dropped and
// the next call reconnects.
template <class F>
void Session::ReplaceOrLoseConnection(F&& op) {
  try {
    op();
  } catch (const ServerClosedError& e) {
    LoseConnection(e.ReplyCode(), e.what());
  } catch (const ConnectionError& e) {
    LoseConnection(0, e.what());
  } catch (const ChannelClosedError& e) {
    LoseConnection(e.ReplyCode(), e.what());
  }
}

void Session::RecoverChannel(const ChannelClosedError& error) {
  ReplaceOrLoseConnection([&] {
    SendChannelCloseOk();
    ReplaceChannel(error.ReplyCode(), error.what());
  });
}

// RabbitMQ 3.10's quorum-queue client can stay on a dead leader for the life of a
// channel. A channel whose first publish to a quorum queue comes while the queue's record
// still names a leader on a node that just died keeps asking that node, which is down, and
// nacks every publish to the queue, long after a new leader was elected: nothing on the
// channel ever updates its choice (rabbit_fifo_client, 3.10.8). A new channel reads the
// queue's record afresh. So a nack, rare otherwise (a full queue with x-overflow
// reject-publish), costs the channel: it is closed and opened again before the next
// publish. Confirms still outstanding on it are reported failed, as on any lost channel;
// consumers on it resume on the new one, their unacknowledged deliveries redelivered.
void Session::ReopenChannelAfterNack() {
  ReplaceOrLoseConnection([&] {
    amqp_channel_close(conn_, kChannel, AMQP_REPLY_SUCCESS);
    CheckReply(amqp_get_rpc_reply(conn_), "closing a channel that had a publish nacked");
    ReplaceChannel(0, "channel replaced after a nack");
    log::Info("amqp channel replaced after a nacked publish",
              {{"connection", options_.connection_name}, {"node", node_name_}});
  });
}

// The part every way of leaving a channel shares, once the old channel is closed.
void Session::ReplaceChannel(uint16_t reply_code, const std::string& why) {
  // Frames rabbitmq-c queued while waiting for an RPC reply precede the close and belong
  // to the old channel: settle them (confirms are real) before tags restart.
  while (IsOpen() && amqp_frames_enqueued(conn_)) ReadFrame(milliseconds(0));
  FailPending(reply_code, why);
  DropBuffered();
  OpenChannel();
  RestoreChannelState();
}

void Session::EnsureOpen() {
  if (IsOpen()) return;
  if (!options_.reconnect.enabled) ThrowNotConnected("reconnecting");
  const ReconnectOptions& r = options_.reconnect;
  milliseconds delay = r.initial_delay;
  for (int attempt = 1;; ++attempt) {
    try {
      Open();
      ++reconnects_;
      return;
    } catch (const ChannelClosedError&) {
      throw;  // the recorded topology no longer matches the broker: needs a human
    } catch (const ServerClosedError& e) {
      // Credentials that worked before are not retried into a lockout.
      if (e.ReplyCode() == kReplyAccessRefused) throw;
      if (r.max_attempts > 0 && attempt >= r.max_attempts) throw;
    } catch (const ConnectionError&) {
      if (r.max_attempts > 0 && attempt >= r.max_attempts) throw;
    }
    std::this_thread::sleep_for(Jittered(delay));
    delay = std::min(delay * 2, r.max_delay);
  }
}

milliseconds Session::Jittered(milliseconds delay) {
  std::uniform_real_distribution<double> factor(1.0 - options_.reconnect.jitter,
                                                1.0 + options_.reconnect.jitter);
  return milliseconds(static_cast<int64_t>(static_cast<double>(delay.count()) * factor(rng_)));
}

}  // namespace choreo::amqp::detail
