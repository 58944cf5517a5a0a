#pragma once
// The state behind a Connection and the Publisher / Consumers attached to it. All frame
// reading goes through one dispatcher (Dispatch) so that confirms, returns, deliveries
// and server closes are handled alike whichever call happens to read them.
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "choreo/amqp/connection.hpp"
#include "choreo/amqp/consumer.hpp"
#include "choreo/amqp/error.hpp"
#include "choreo/amqp/publisher.hpp"
#include "codec.hpp"
#include "rabbitmq.hpp"

namespace choreo::amqp::detail {

// One channel per connection: nothing here needs more, and a single channel keeps
// delivery tags and confirm sequence numbers in one space.
inline constexpr amqp_channel_t kChannel = 1;

class Session {
 public:
  explicit Session(ConnectionOptions options);
  ~Session();  // closes the connection quietly
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  bool IsOpen() const { return conn_ != nullptr; }
  uint64_t Generation() const { return generation_; }
  uint64_t Reconnects() const { return reconnects_; }
  bool Blocked() const { return blocked_; }
  const std::string& Node() const { return node_name_; }
  void EnsureOpen();
  void Service() noexcept;

  void DeclareExchange(const ExchangeSpec& spec);
  QueueInfo DeclareQueue(const QueueSpec& spec);
  void Bind(const BindingSpec& spec);
  void Unbind(const BindingSpec& spec);
  uint32_t DeleteQueue(const std::string& name, bool if_unused, bool if_empty);
  void DeleteExchange(const std::string& name, bool if_unused);
  uint32_t PurgeQueue(const std::string& name);
  QueueInfo InspectQueue(const std::string& name);
  std::optional<Delivery> Get(const std::string& queue, bool auto_ack);
  bool Ack(const Delivery& d, bool multiple);
  bool Nack(const Delivery& d, bool requeue, bool multiple);
  bool Reject(const Delivery& d, bool requeue);

  void AttachPublisher(const PublisherOptions& options);
  void DetachPublisher() noexcept;
  uint64_t Publish(const std::string& exchange, const std::string& routing_key,
                   const Message& message);
  std::vector<PublishResult> PollConfirms();
  std::vector<PublishResult> WaitForConfirms(std::chrono::milliseconds timeout);
  std::size_t Outstanding() const { return pending_.size(); }

  std::string AddConsumer(ConsumerOptions options);
  void RemoveConsumer(const std::string& tag) noexcept;
  std::optional<Delivery> NextDelivery(const std::string& tag, std::chrono::milliseconds timeout);

 private:
  struct Pending {
    uint64_t tag = 0;  // the channel's confirm delivery tag
    bool resolved = false;
    bool returned = false;
    PublishResult result;
  };
  struct ConsumerState {
    ConsumerOptions options;
    std::deque<Delivery> buffered;
    bool cancelled = false;
  };

  void Open();
  void OpenNode(const AmqpUrl& url);
  void OpenChannel();
  void RestoreTopology();
  void RestoreChannelState();
  void StartConsume(const ConsumerOptions& options);
  void CloseQuietly() noexcept;
  void LoseConnection(uint16_t reply_code, const std::string& why) noexcept;
  void RecoverChannel(const ChannelClosedError& error);
  void ReopenChannelAfterNack();
  void ReplaceChannel(uint16_t reply_code, const std::string& why);
  template <class F>
  void ReplaceOrLoseConnection(F&& op);
  void SendChannelCloseOk();
  void ChangeBinding(const BindingSpec& spec, bool bind);
  template <class F>
  bool Attempt(F&& op);
  template <class F>
  auto Rpc(F&& op) -> decltype(op());

  bool ReadFrame(std::chrono::milliseconds timeout);
  bool Pump(std::chrono::milliseconds timeout);
  void Dispatch(const amqp_frame_t& frame);
  Message ReadContent(const char* context);
  void OnConfirm(uint64_t tag, bool multiple, bool nack);
  void OnReturn(uint16_t reply_code, const std::string& reply_text, const Message& message);
  void OnDeliver(Delivery delivery);
  void FailPending(uint16_t reply_code, const std::string& why) noexcept;
  void DropBuffered() noexcept;
  std::vector<PublishResult> TakeResults();
  std::chrono::milliseconds Jittered(std::chrono::milliseconds delay);

  ConnectionOptions options_;
  std::vector<AmqpUrl> urls_;  // the nodes, all with the same credentials and vhost
  std::optional<std::size_t> node_;  // index in urls_ of the node connected (or last)
  std::string node_name_;  // its "host:port"
  amqp_connection_state_t conn_ = nullptr;
  uint64_t generation_ = 0;
  uint64_t reconnects_ = 0;
  bool blocked_ = false;
  std::mt19937_64 rng_{std::random_device{}()};

  // What was declared through this object, replayed after a reconnect.
  std::vector<ExchangeSpec> exchanges_;
  std::vector<QueueSpec> queues_;
  std::vector<BindingSpec> bindings_;

  bool publisher_ = false;
  PublisherOptions publisher_options_;
  uint64_t last_seq_ = 0;
  uint64_t next_tag_ = 0;
  bool nacked_ = false;  // a nack arrived on this channel: it is replaced before the next publish
  std::deque<Pending> pending_;
  std::vector<PublishResult> results_;
  Pool scratch_;

  std::map<std::string, ConsumerState> consumers_;
  uint64_t consumer_counter_ = 0;
};

}  // namespace choreo::amqp::detail
