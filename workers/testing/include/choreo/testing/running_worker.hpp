#pragma once
// A Worker running in the test process on a thread of its own, as the workers' integration
// tests (worker_fixture.hpp) and race tests (replicas.hpp) run theirs.
#include <chrono>
#include <functional>
#include <memory>
#include <thread>

#include "choreo/worker/worker.hpp"

namespace choreo::testing {

// A Worker running on a thread of its own. The Worker outlives Stop() so a test can still
// read its stats and store; the next Start() replaces it.
class RunningWorker {
 public:
  RunningWorker() = default;
  // Stops the worker if it runs.
  ~RunningWorker();
  RunningWorker(const RunningWorker&) = delete;
  RunningWorker& operator=(const RunningWorker&) = delete;

  // Builds a Worker from `options`, lets `configure` register its handlers (and
  // migrations), runs it and waits until it consumes. False if it does not within `ready`
  // (it keeps running until Stop()).
  [[nodiscard]] bool Start(const worker::WorkerOptions& options, const std::function<void(worker::Worker&)>& configure,
                           std::chrono::milliseconds ready = std::chrono::seconds(30));
  // Stops the worker and joins its thread; harmless when it does not run.
  void Stop();

  bool Running() const { return thread_.joinable(); }
  explicit operator bool() const { return worker_ != nullptr; }
  worker::Worker& operator*() { return *worker_; }
  worker::Worker* operator->() { return worker_.get(); }

 private:
  std::unique_ptr<worker::Worker> worker_;
  std::thread thread_;
};

}  // namespace choreo::testing
