#pragma once
#include "choreo/amqp/connection.hpp"
#include "choreo/contracts/topology.hpp"

namespace choreo::worker::detail {

// Declares every exchange and the worker's queues and bindings (contracts/topology.hpp).
// Idempotent; the connection re-declares all of it after a reconnect.
void DeclareTopology(amqp::Connection& connection, const contracts::topology::WorkerTopology& topology);

}  // namespace choreo::worker::detail
