#include "outage_support.hpp"

#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>

#include "choreo/contracts/envelope.hpp"
#include "choreo/testing/testing.hpp"
#include "system.hpp"

namespace choreo::e2e {

using Clock = std::chrono::steady_clock;

SteadyOrders::SteadyOrders(std::string amqp_url, double per_second)
    : thread_([this, url = std::move(amqp_url), per_second] { Run(url, per_second); }) {}

SteadyOrders::~SteadyOrders() { Stop(); }

void SteadyOrders::Stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::vector<std::string> SteadyOrders::Ids() const {
  std::lock_guard lock(mutex_);
  return ids_;
}

std::string SteadyOrders::Error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

void SteadyOrders::Run(const std::string& amqp_url, double per_second) {
  try {
    EventPublisher publisher(amqp_url);
    const auto period = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / per_second));
    // Due times on a fixed grid: a slow publish is caught up, the rate stays the same.
    auto due = Clock::now();
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        if (stop_cv_.wait_until(lock, due, [&] { return stop_; })) return;
      }
      contracts::OrderPlaced order = MakeOrder("tok_ok", "DE");
      publisher.Publish(contracts::MakeEnvelope(order));
      {
        std::lock_guard lock(mutex_);
        ids_.push_back(order.order_id);
      }
      due += period;
    }
  } catch (const std::exception& e) {
    std::lock_guard lock(mutex_);
    error_ = e.what();
  }
}

namespace {

// The child: opens the database, then takes ('L') and gives back ('R') the write lock on
// command, answering each; exits at the end of its command pipe.
[[noreturn]] void HoldLocks(const std::string& path, int commands, int replies) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  sqlite3* db = nullptr;
  const bool opened = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK;
  // Long enough to get in between the transactions of the process that uses the file.
  if (opened) sqlite3_busy_timeout(db, 30000);
  char command = 0;
  while (::read(commands, &command, 1) == 1) {
    char reply = 'e';
    if (opened && command == 'L') {
      reply = sqlite3_exec(db, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) == SQLITE_OK ? 'l' : 'e';
    } else if (opened && command == 'R') {
      reply = sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr) == SQLITE_OK ? 'r' : 'e';
    }
    if (::write(replies, &reply, 1) != 1) break;
  }
  sqlite3_close(db);
  ::_exit(0);
}

}  // namespace

SqliteWriteLock::SqliteWriteLock(const std::string& path) {
  int down[2], up[2];
  if (::pipe(down) != 0) throw std::runtime_error("pipe failed");
  if (::pipe(up) != 0) {
    ::close(down[0]);
    ::close(down[1]);
    throw std::runtime_error("pipe failed");
  }
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::close(down[1]);
    ::close(up[0]);
    HoldLocks(path, down[0], up[1]);
  }
  ::close(down[0]);
  ::close(up[1]);
  to_child_ = down[1];
  from_child_ = up[0];
}

SqliteWriteLock::~SqliteWriteLock() {
  // The end of the command pipe ends the child; its connection closing rolls back.
  ::close(to_child_);
  ::close(from_child_);
  if (pid_ > 0) {
    int status = 0;
    if (!testing::WaitFor([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, std::chrono::seconds(5))) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
  }
}

void SqliteWriteLock::Command(char command, char expected, std::chrono::seconds timeout) {
  if (::write(to_child_, &command, 1) != 1) throw std::runtime_error("the lock holder is gone");
  pollfd fd{from_child_, POLLIN, 0};
  char reply = 0;
  if (::poll(&fd, 1, static_cast<int>(timeout.count() * 1000)) != 1 || ::read(from_child_, &reply, 1) != 1) {
    throw std::runtime_error("the lock holder did not answer");
  }
  if (reply != expected) throw std::runtime_error(std::string("the lock holder failed at '") + command + "'");
}

void SqliteWriteLock::Acquire() { Command('L', 'l', std::chrono::seconds(40)); }

void SqliteWriteLock::Release() { Command('R', 'r', std::chrono::seconds(10)); }

}  // namespace choreo::e2e
