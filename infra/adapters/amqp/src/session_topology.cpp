#include "session_detail.hpp"

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <thread>

#include "check.hpp"
#include "choreo/log/log.hpp"

namespace choreo::amqp::detail {

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

// queue.bind and queue.unbind take the same arguments.
void Session::ChangeBinding(const BindingSpec& spec, bool bind) {
  spec.Validate();
  Rpc([&] {
    Pool pool;
    const amqp_table_t arguments = ToAmqpTable(spec.arguments, pool.Get());
    if (bind) {
      amqp_queue_bind(conn_, kChannel, Bytes(spec.queue), Bytes(spec.exchange), Bytes(spec.routing_key), arguments);
    } else {
      amqp_queue_unbind(conn_, kChannel, Bytes(spec.queue), Bytes(spec.exchange), Bytes(spec.routing_key), arguments);
    }
    CheckReply(amqp_get_rpc_reply(conn_), Context(bind ? "binding queue" : "unbinding queue", spec.queue));
    return 0;
  });
}

void Session::Bind(const BindingSpec& spec) {
  ChangeBinding(spec, true);
  if (std::find(bindings_.begin(), bindings_.end(), spec) == bindings_.end()) {
    bindings_.push_back(spec);
  }
}

void Session::Unbind(const BindingSpec& spec) {
  ChangeBinding(spec, false);
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

}  // namespace choreo::amqp::detail
