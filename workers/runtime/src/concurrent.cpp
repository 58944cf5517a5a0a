#include "concurrent.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace choreo::worker::detail {

void RunConcurrently(std::size_t count, std::size_t concurrency, const std::function<void(std::size_t)>& task,
                     const std::function<void()>& idle, std::chrono::milliseconds idle_interval) {
  if (count == 0) return;
  if (count == 1 || concurrency <= 1) {
    for (std::size_t i = 0; i < count; ++i) task(i);
    return;
  }
  const std::size_t threads = std::min(count, concurrency);
  std::atomic<std::size_t> next{0};
  std::mutex mutex;
  std::condition_variable done;
  std::size_t running = threads;
  auto drain = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < count;) task(i);
    std::lock_guard lock(mutex);
    if (--running == 0) done.notify_one();
  };
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (std::size_t t = 0; t < threads; ++t) pool.emplace_back(drain);
  {
    std::unique_lock lock(mutex);
    while (!done.wait_for(lock, idle_interval, [&] { return running == 0; })) {
      lock.unlock();
      idle();
      lock.lock();
    }
  }
  for (std::thread& t : pool) t.join();
}

}  // namespace choreo::worker::detail
