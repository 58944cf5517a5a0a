#pragma once
// What the outage tests (outage_e2e_it.cpp) drive a System with: a steady stream of orders
// that goes on whatever the test thread waits for, and another process holding a SQLite
// database's write lock.
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace choreo::e2e {

// order.placed (tok_ok, DE, as MakeOrder gives) at a steady rate, published as the
// gateway would, on a connection and a thread of its own: the stream goes on while the
// test thread waits (for a /readyz answer that waits on a locked store, say).
class SteadyOrders {
 public:
  SteadyOrders(std::string amqp_url, double per_second);
  ~SteadyOrders();
  SteadyOrders(const SteadyOrders&) = delete;
  SteadyOrders& operator=(const SteadyOrders&) = delete;

  // Ends the stream; returns once the thread has finished. Idempotent.
  void Stop();
  // The orders published and confirmed by the broker so far, in order.
  std::vector<std::string> Ids() const;
  // Why the stream ended by itself ("" while it runs, or after Stop()).
  std::string Error() const;

 private:
  void Run(const std::string& amqp_url, double per_second);

  mutable std::mutex mutex_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::vector<std::string> ids_;
  std::string error_;
  std::thread thread_;
};

// Another process holding the write lock of a SQLite database (BEGIN EXCLUSIVE), as a
// backup tool or a forgotten sqlite3 shell would: every writer of the file waits its busy
// timeout, then fails with "database is locked". The holder is forked at construction, so
// construct it before the test starts threads of its own (the child then uses SQLite
// safely). It exits when this object is destroyed or this process dies.
class SqliteWriteLock {
 public:
  explicit SqliteWriteLock(const std::string& path);
  ~SqliteWriteLock();
  SqliteWriteLock(const SqliteWriteLock&) = delete;
  SqliteWriteLock& operator=(const SqliteWriteLock&) = delete;

  // Returns once the other process holds the lock (it waits for writers of the file to
  // finish first); throws std::runtime_error if it could not take it.
  void Acquire();
  // Returns once the other process has rolled back.
  void Release();

 private:
  void Command(char command, char expected, std::chrono::seconds timeout);

  pid_t pid_ = -1;
  int to_child_ = -1;
  int from_child_ = -1;
};

}  // namespace choreo::e2e
