#pragma once
// Several replicas of one worker in one test process, as a deployment runs them: each its
// own Worker (own store pool, relay and consumer) on ONE PostgreSQL schema and one broker
// vhost, competing on the same queue. Each replica's database connections carry an
// application_name of their own, so the test can see in pg_stat_activity what they wait
// for.
//
// Race() makes replicas handle messages at the same moment instead of hoping they do:
// the test takes a row lock the handlers need after they have read their state, starts
// every handler on a thread of its own, and lets go only once ALL of their transactions
// are waiting on a lock in the database. Whatever a handler reads without locking it, it
// has read by then, so a missing row lock shows up as a double decision every time.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "choreo/store/store.hpp"
#include "choreo/testing/running_worker.hpp"
#include "choreo/testing/test_database.hpp"
#include "choreo/worker/worker.hpp"

namespace choreo::testing {

struct RaceResult {
  // Whether every handler was waiting on a lock at the moment the test let go.
  bool all_waited = false;
  // What each handler returned (Worker::Handle: false for an inbox duplicate); nullopt if
  // it threw, with the reason in `errors`.
  std::vector<std::optional<bool>> returned;
  std::vector<std::string> errors;
};

class Replicas {
 public:
  // `count` replicas of worker `name` on `db`, which must be PostgreSQL.
  Replicas(const TestDatabase& db, std::string name, int count);
  // Stops every replica that was started.
  ~Replicas();
  Replicas(const Replicas&) = delete;
  Replicas& operator=(const Replicas&) = delete;

  // Builds replica `i` on `amqp_url` with `options` (name, URLs and http port are set
  // here), lets `configure` register its handlers, runs it on a thread and waits until it
  // consumes; a failed test if it does not within 30 s.
  void Start(int i, const std::string& amqp_url, const std::function<void(worker::Worker&)>& configure,
             worker::WorkerOptions options = {});
  worker::Worker& Get(int i);

  // A store of the test's own on the same schema (not counted as a replica).
  store::Store& Observer();

  // How the test lets go: commit what `lock_sql` did, or roll it back. Rolling back lets
  // the test hold a row that does not exist yet (an uncommitted INSERT of the key the
  // handlers will insert): they wait for it, and then race for that key themselves.
  enum class Release { kCommit, kRollback };

  // Runs every one of `handlers` on its own thread while holding the locks `lock_sql`
  // takes (SQL on the replicas' schema: a SELECT ... FOR UPDATE, an INSERT, an advisory
  // lock), releases them once every handler waits on a lock (or after `timeout`) and
  // joins the threads.
  RaceResult Race(const std::string& lock_sql, const std::vector<std::function<bool()>>& handlers,
                  std::chrono::milliseconds timeout = std::chrono::seconds(10), Release release = Release::kCommit);

  // Connections of the replicas that wait on a lock right now.
  int LockWaiters();

  // Rows of the shared outbox whose routing key is `type` and whose envelope belongs to
  // `order_id`: what the replicas decided to emit, sent or not.
  std::int64_t OutboxRows(std::string_view type, const std::string& order_id);

 private:
  std::string url_;
  std::string name_;
  std::string application_;  // prefix of every replica's application_name
  std::vector<RunningWorker> workers_;
  std::unique_ptr<store::Store> observer_;
};

}  // namespace choreo::testing
