#pragma once
// Declaring the contracts topology (contracts/topology.hpp) on a broker.
//
// Every component declares the WHOLE topology (every exchange, every component's work,
// retry, dead-letter and delay queues and their bindings) on each connection it publishes
// or consumes on, before its first publish. A publish is confirmed as soon as one bound
// queue has it: with `mandatory` the broker only reports "no queue at all", not "one
// subscriber's queue does not exist yet". So if only consumers declared their own queues,
// a producer that started first (a fresh deployment, or a release that adds a
// subscription) would silently lose the events of a subscriber that had not run yet.
// Declaring is idempotent and cheap (a few dozen RPCs per connection).
#include "choreo/amqp/connection.hpp"
#include "choreo/contracts/topology.hpp"

namespace choreo::topology {

// Declares one component's queues and bindings, and every exchange. Idempotent; the
// connection re-declares all of it after a reconnect.
void Declare(amqp::Connection& connection, const contracts::topology::WorkerTopology& component);

// Declares every exchange and every component's queues and bindings.
void DeclareAll(amqp::Connection& connection);

}  // namespace choreo::topology
