#include "session.hpp"

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <thread>

#include "check.hpp"
#include "choreo/log/log.hpp"
#include "connect_order.hpp"

namespace choreo::amqp::detail {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

milliseconds Until(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
  return std::max(left, milliseconds(0));
}

std::string Context(const char* what, const std::string& name) {
  return std::string(what) + " '" + name + "'";
}

}  // namespace

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

void Session::RecoverChannel(const ChannelClosedError& error) {
  try {
    SendChannelCloseOk();
    // Frames rabbitmq-c queued while waiting for an RPC reply precede the close and
    // belong to the old channel: settle them (confirms are real) before tags restart.
    while (IsOpen() && amqp_frames_enqueued(conn_)) ReadFrame(milliseconds(0));
    FailPending(error.ReplyCode(), error.what());
    DropBuffered();
    OpenChannel();
    RestoreChannelState();
  } catch (const ServerClosedError& e) {
    LoseConnection(e.ReplyCode(), e.what());
  } catch (const ConnectionError& e) {
    LoseConnection(0, e.what());
  } catch (const ChannelClosedError& e) {
    LoseConnection(e.ReplyCode(), e.what());
  }
}

// Runs `op`; a lost connection is torn down and reported by returning false when the
// reconnect policy absorbs it, so the caller decides whether repeating `op` is safe.
template <class F>
bool Session::Attempt(F&& op) {
  try {
    op();
    return true;
  } catch (const ChannelClosedError& e) {
    RecoverChannel(e);
    throw;
  } catch (const ServerClosedError& e) {
    LoseConnection(e.ReplyCode(), e.what());
    if (!options_.reconnect.enabled || !e.Retryable()) throw;
  } catch (const ConnectionError& e) {
    LoseConnection(0, e.what());
    if (!options_.reconnect.enabled) throw;
  }
  return false;
}

// For idempotent requests: repeated on a fresh connection after a loss.
template <class F>
auto Session::Rpc(F&& op) -> decltype(op()) {
  for (;;) {
    EnsureOpen();
    std::optional<decltype(op())> result;
    if (Attempt([&] { result.emplace(op()); })) {
      amqp_maybe_release_buffers(conn_);
      return std::move(*result);
    }
  }
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

// ---------------------------------------------------------------------------------------
// Topology

void Session::DeclareExchange(const ExchangeSpec& spec) {
  spec.Validate();
  Rpc([&] {
    Pool pool;
    amqp_exchange_declare(conn_, kChannel, Bytes(spec.name), Bytes(spec.type), 0, spec.durable,
                          spec.auto_delete, spec.internal, ToAmqpTable(spec.arguments, pool.Get()));
    CheckReply(amqp_get_rpc_reply(conn_), Context("declaring exchange", spec.name));
    return 0;
  });
  auto it = std::find_if(exchanges_.begin(), exchanges_.end(),
                         [&](const ExchangeSpec& e) { return e.name == spec.name; });
  if (it != exchanges_.end()) *it = spec;
  else exchanges_.push_back(spec);
}

QueueInfo Session::DeclareQueue(const QueueSpec& spec) {
  spec.Validate();
  QueueInfo info = Rpc([&] {
    Pool pool;
    FieldTable args = spec.Arguments();
    amqp_queue_declare_ok_t* ok =
        amqp_queue_declare(conn_, kChannel, Bytes(spec.name), 0, spec.durable, spec.exclusive,
                           spec.auto_delete, ToAmqpTable(args, pool.Get()));
    CheckReply(amqp_get_rpc_reply(conn_), Context("declaring queue", spec.name));
    return QueueInfo{String(ok->queue), ok->message_count, ok->consumer_count};
  });
  // A server-named queue cannot be re-declared under its old name (amq.* is reserved),
  // so it is not replayed after a reconnect; its consumers then report cancellation.
  if (spec.name.empty()) return info;
  auto it = std::find_if(queues_.begin(), queues_.end(),
                         [&](const QueueSpec& q) { return q.name == spec.name; });
  if (it != queues_.end()) *it = spec;
  else queues_.push_back(spec);
  return info;
}

void Session::Bind(const BindingSpec& spec) {
  spec.Validate();
  Rpc([&] {
    Pool pool;
    amqp_queue_bind(conn_, kChannel, Bytes(spec.queue), Bytes(spec.exchange),
                    Bytes(spec.routing_key), ToAmqpTable(spec.arguments, pool.Get()));
    CheckReply(amqp_get_rpc_reply(conn_), Context("binding queue", spec.queue));
    return 0;
  });
  if (std::find(bindings_.begin(), bindings_.end(), spec) == bindings_.end()) {
    bindings_.push_back(spec);
  }
}

void Session::Unbind(const BindingSpec& spec) {
  spec.Validate();
  Rpc([&] {
    Pool pool;
    amqp_queue_unbind(conn_, kChannel, Bytes(spec.queue), Bytes(spec.exchange),
                      Bytes(spec.routing_key), ToAmqpTable(spec.arguments, pool.Get()));
    CheckReply(amqp_get_rpc_reply(conn_), Context("unbinding queue", spec.queue));
    return 0;
  });
  std::erase(bindings_, spec);
}

uint32_t Session::DeleteQueue(const std::string& name, bool if_unused, bool if_empty) {
  uint32_t count = Rpc([&] {
    amqp_queue_delete_ok_t* ok = amqp_queue_delete(conn_, kChannel, Bytes(name), if_unused, if_empty);
    CheckReply(amqp_get_rpc_reply(conn_), Context("deleting queue", name));
    return ok->message_count;
  });
  std::erase_if(queues_, [&](const QueueSpec& q) { return q.name == name; });
  std::erase_if(bindings_, [&](const BindingSpec& b) { return b.queue == name; });
  return count;
}

void Session::DeleteExchange(const std::string& name, bool if_unused) {
  Rpc([&] {
    amqp_exchange_delete(conn_, kChannel, Bytes(name), if_unused);
    CheckReply(amqp_get_rpc_reply(conn_), Context("deleting exchange", name));
    return 0;
  });
  std::erase_if(exchanges_, [&](const ExchangeSpec& e) { return e.name == name; });
  std::erase_if(bindings_, [&](const BindingSpec& b) { return b.exchange == name; });
}

uint32_t Session::PurgeQueue(const std::string& name) {
  return Rpc([&] {
    amqp_queue_purge_ok_t* ok = amqp_queue_purge(conn_, kChannel, Bytes(name));
    CheckReply(amqp_get_rpc_reply(conn_), Context("purging queue", name));
    return ok->message_count;
  });
}

QueueInfo Session::InspectQueue(const std::string& name) {
  return Rpc([&] {
    amqp_queue_declare_ok_t* ok =
        amqp_queue_declare(conn_, kChannel, Bytes(name), 1, 0, 0, 0, amqp_empty_table);
    CheckReply(amqp_get_rpc_reply(conn_), Context("inspecting queue", name));
    return QueueInfo{String(ok->queue), ok->message_count, ok->consumer_count};
  });
}

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
