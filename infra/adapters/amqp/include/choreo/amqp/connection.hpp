#pragma once
// One AMQP connection with one channel. rabbitmq-c is not thread-safe: use a Connection
// (and the Publisher / Consumers attached to it) from a single thread; give every thread
// its own Connection.
//
// After the broker goes away the connection is re-established lazily, with backoff, by
// the next call that needs it: every exchange, queue and binding declared through this
// object is declared again, confirm mode and consumers are restored. Publishes that were
// not confirmed are reported as failed (see Publisher), unacknowledged deliveries are
// redelivered by the broker, and acks for deliveries of an older generation are ignored.
//
// With several URLs (the nodes of a cluster, ConnectionOptions::url) the first connect
// tries them in list order; after losing its node a connection tries the other nodes
// first, starting from a random one so that the clients of a dead node spread over the
// survivors, and the lost node last. A round in which no node answers backs off as with
// one URL. Every connection logs the node (host:port) it reached.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "choreo/amqp/message.hpp"
#include "choreo/amqp/options.hpp"
#include "choreo/amqp/topology.hpp"

namespace choreo::amqp {

namespace detail {
class Session;
}

class Connection {
 public:
  // Connects, trying each URL of the list once (no backoff, so a wrong URL or password
  // fails fast); throws Error. With several URLs, a ConnectionError names every node
  // that failed and why.
  explicit Connection(ConnectionOptions options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void DeclareExchange(const ExchangeSpec& spec);
  QueueInfo DeclareQueue(const QueueSpec& spec);
  void Bind(const BindingSpec& spec);
  void Unbind(const BindingSpec& spec);
  // Returns the number of messages deleted with the queue.
  uint32_t DeleteQueue(const std::string& name, bool if_unused = false, bool if_empty = false);
  void DeleteExchange(const std::string& name, bool if_unused = false);
  uint32_t PurgeQueue(const std::string& name);
  // Passive declare: counts of an existing queue. ChannelClosedError 404 if it is absent.
  QueueInfo InspectQueue(const std::string& name);

  // basic.get, for inspection tools. Without auto_ack the message stays unacknowledged
  // until Ack / Nack / Reject (or the connection closes, which requeues it).
  std::optional<Delivery> Get(const std::string& queue, bool auto_ack = false);

  // Return false (and do nothing) when the delivery belongs to an older channel
  // generation. `multiple` covers every earlier delivery on this channel, whichever
  // consumer received it.
  bool Ack(const Delivery& delivery, bool multiple = false);
  bool Nack(const Delivery& delivery, bool requeue, bool multiple = false);
  bool Reject(const Delivery& delivery, bool requeue);

  bool IsOpen() const;
  // Incremented every time the channel is (re)opened.
  uint64_t Generation() const;
  // Successful reconnects since construction.
  uint64_t Reconnects() const;
  // Reconnects now if the connection was lost (otherwise done by the next call).
  void EnsureOpen();
  // "host:port" of the node this connection is on (or was on last, while reconnecting).
  const std::string& Node() const;
  // Whether the broker has blocked publishing (resource alarm), per connection.blocked.
  bool Blocked() const;
  // Reads what the broker has already sent (deliveries are buffered for their consumer,
  // confirms for the publisher) and sends a heartbeat when one is due, without blocking.
  // rabbitmq-c only services heartbeats inside its own calls: a thread that holds a
  // connection while it does something long (a batch's provider calls) calls this every
  // few seconds so the broker does not drop the connection as dead. Never throws; a lost
  // connection is noticed (and re-established) by the next real call.
  void Service() noexcept;


 private:
  friend class Publisher;
  friend class Consumer;
  detail::Session& Impl() { return *session_; }

  std::unique_ptr<detail::Session> session_;
};

}  // namespace choreo::amqp
