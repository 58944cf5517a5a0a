#include "choreo/testing/running_worker.hpp"

namespace choreo::testing {

RunningWorker::~RunningWorker() { Stop(); }

bool RunningWorker::Start(const worker::WorkerOptions& options, const std::function<void(worker::Worker&)>& configure,
                          std::chrono::milliseconds ready) {
  Stop();
  worker_ = std::make_unique<worker::Worker>(options);
  configure(*worker_);
  thread_ = std::thread([w = worker_.get()] { w->Run(); });
  return worker_->WaitUntilReady(ready);
}

void RunningWorker::Stop() {
  if (!thread_.joinable()) return;
  worker_->Stop();
  thread_.join();
}

}  // namespace choreo::testing
