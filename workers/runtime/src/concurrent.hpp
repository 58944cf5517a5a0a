#pragma once
// Runs the effects of a batch on a few threads of their own, while the calling thread
// (which owns the AMQP connections; rabbitmq-c connections are single-threaded) keeps
// servicing heartbeats: a batch of slow provider calls can outlast the broker's heartbeat
// timeout, and a connection the broker drops takes every unacked delivery with it.
#include <chrono>
#include <cstddef>
#include <functional>

namespace choreo::worker::detail {

// Calls task(i) for every i in [0, count) on up to `concurrency` threads, and `idle` on
// the calling thread every `idle_interval` until all are done. `task` must not throw.
// A single task runs on the calling thread: one call is bounded by its own timeout, far
// below a heartbeat timeout, and costs no thread.
void RunConcurrently(std::size_t count, std::size_t concurrency, const std::function<void(std::size_t)>& task,
                     const std::function<void()>& idle,
                     std::chrono::milliseconds idle_interval = std::chrono::seconds(1));

}  // namespace choreo::worker::detail
