#include "choreo/amqp/connection.hpp"

#include "session.hpp"

namespace choreo::amqp {

Connection::Connection(ConnectionOptions options)
    : session_(std::make_unique<detail::Session>(std::move(options))) {}

Connection::~Connection() = default;

void Connection::DeclareExchange(const ExchangeSpec& spec) { session_->DeclareExchange(spec); }
QueueInfo Connection::DeclareQueue(const QueueSpec& spec) { return session_->DeclareQueue(spec); }
void Connection::Bind(const BindingSpec& spec) { session_->Bind(spec); }
void Connection::Unbind(const BindingSpec& spec) { session_->Unbind(spec); }
uint32_t Connection::DeleteQueue(const std::string& name, bool if_unused, bool if_empty) {
  return session_->DeleteQueue(name, if_unused, if_empty);
}
void Connection::DeleteExchange(const std::string& name, bool if_unused) {
  session_->DeleteExchange(name, if_unused);
}
uint32_t Connection::PurgeQueue(const std::string& name) { return session_->PurgeQueue(name); }
QueueInfo Connection::InspectQueue(const std::string& name) { return session_->InspectQueue(name); }
std::optional<Delivery> Connection::Get(const std::string& queue, bool auto_ack) {
  return session_->Get(queue, auto_ack);
}
bool Connection::Ack(const Delivery& delivery, bool multiple) {
  return session_->Ack(delivery, multiple);
}
bool Connection::Nack(const Delivery& delivery, bool requeue, bool multiple) {
  return session_->Nack(delivery, requeue, multiple);
}
bool Connection::Reject(const Delivery& delivery, bool requeue) {
  return session_->Reject(delivery, requeue);
}
bool Connection::IsOpen() const { return session_->IsOpen(); }
uint64_t Connection::Generation() const { return session_->Generation(); }
uint64_t Connection::Reconnects() const { return session_->Reconnects(); }
void Connection::EnsureOpen() { session_->EnsureOpen(); }
const std::string& Connection::Node() const { return session_->Node(); }
bool Connection::Blocked() const { return session_->Blocked(); }
void Connection::Service() noexcept { session_->Service(); }

}  // namespace choreo::amqp
