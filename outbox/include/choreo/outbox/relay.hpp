#pragma once
// The relay: publishes committed outbox rows with publisher confirms and a pipelined
// confirm window, then marks them sent in one transaction per batch. A crash between
// publish and mark republishes the same message ids: at-least-once, deduplicated by the
// consumers' inboxes.
//
// Order: one relay publishes the rows it claims in id order, and a producer's rows get
// ids in the order it appends them, so ONE relay over the rows of ONE producer publishes
// them in commit order. Nothing more is promised: ids of concurrent producers' rows are
// taken at insert, not at commit; several relays on one PostgreSQL outbox publish their
// batches side by side; a row that failed goes out after later ones. Consumers must not
// rely on arrival order (competing consumers and retries reorder anyway); every handler
// checks its state instead.
//
// A row the broker returns as unroutable, nacks or refuses (e.g. unknown exchange) is not
// dropped: its attempt counter grows, its next attempt is pushed back exponentially, and
// the rows behind it go out meanwhile.
//
// SQLite: rows are read, published, then marked in a second short transaction (holding
// SQLite's single write lock while waiting for confirms would stall every writer).
// PostgreSQL: rows are claimed with FOR UPDATE SKIP LOCKED in a transaction that lasts
// until they are marked, so several relays can share one outbox table; a row another
// relay marked sent meanwhile fails the re-checked WHERE and is not claimed twice.
//
// Waking: Notify() wakes the relay of this process at once. On PostgreSQL every commit
// that appends rows also NOTIFYs kNotifyChannel (a trigger of the outbox table), and each
// relay LISTENs on a connection of its own, so the relay of ANY replica learns of the
// rows, not only the producer's. Such a notification is a fallback, not a race: the
// producer's own relay normally has the rows within milliseconds, so a notification
// starts a cycle only after foreign_grace, and not at all if a cycle started since it
// arrived (that cycle's claim saw the announced rows). Without that every commit cost
// each replica's relay a cycle, and the producer's relay a second one for its own
// notification: two of every three relay transactions found nothing. A sweep every
// sweep_interval still finds rows nobody announced (a relay that was down, a LISTEN
// connection that broke: it is rebuilt with backoff and the relay sweeps meanwhile).
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "choreo/amqp/options.hpp"
#include "choreo/store/store.hpp"

namespace choreo::amqp {
class Connection;
}

namespace choreo::outbox {

// Points of a relay cycle where a test may inject a crash.
enum class RelayStage {
  kClaimed,    // rows read, nothing published
  kPublished,  // rows published and confirmed, not yet marked sent
  kMarked,     // rows marked sent
};

struct RelayOptions {
  amqp::ConnectionOptions amqp;
  std::size_t batch_size = 512;  // rows per cycle
  std::size_t window = 256;      // outstanding confirms
  // How often the relay looks for rows nobody told it about (left by a crashed process,
  // or written by another process while this relay's LISTEN connection was down). With
  // LISTEN this is only the fallback, so it can be long.
  std::chrono::milliseconds sweep_interval{1000};
  // PostgreSQL: wake on the outbox's notifications (see above). Ignored on SQLite, whose
  // producers share the relay's process.
  bool listen = true;
  // The database to LISTEN on; empty: the store's URL (tests point it through a proxy).
  std::string listen_url;
  // How long a notification waits for the producer's own relay before this one looks
  // (see above): the delay before another replica publishes the rows of a producer that
  // died between its commit and its publish, or of a writer that runs no relay.
  std::chrono::milliseconds foreign_grace{200};
  // Longest pause between attempts to rebuild a broken LISTEN connection.
  std::chrono::milliseconds listen_retry_max{5000};
  std::chrono::milliseconds confirm_timeout{30000};
  // Backoff of a row that failed: initial, doubling, capped.
  std::chrono::milliseconds retry_initial{1000};
  std::chrono::milliseconds retry_max{60000};
  // Sent rows are deleted after this long (0: immediately at the next cleanup).
  std::chrono::milliseconds retention{std::chrono::hours(24)};
  std::chrono::milliseconds cleanup_interval{std::chrono::minutes(1)};
  // Routing keys of events nobody has to receive (no subscriber in the topology, e.g.
  // notification.sent, kept for audits and future consumers). A mandatory publish of
  // one that no queue is bound for comes back unroutable; that is their normal case, so
  // the row counts as sent instead of being retried forever. Any other routing key that
  // comes back unroutable is still a failure.
  std::vector<std::string> may_be_unrouted;
  // Runs on every new relay connection before its first publish (the connection repeats
  // what it declares after a reconnect). Workers declare the whole topology here, so an
  // event is never published before every subscriber's queue exists.
  std::function<void(amqp::Connection&)> declare;
  // Called at each stage of every cycle; for fault-injection tests only.
  std::function<void(RelayStage)> stage_hook;

  // Throws std::invalid_argument naming the offending field.
  void Validate() const;
};

struct RelayStats {
  uint64_t cycles = 0;
  uint64_t published = 0;  // publishes attempted
  uint64_t confirmed = 0;  // rows marked sent
  uint64_t returned = 0;   // unroutable (mandatory) returns
  uint64_t nacked = 0;
  uint64_t refused = 0;    // channel closed by the broker for the publish (404, 403...)
  uint64_t unknown = 0;    // no confirm (connection lost, timeout): retried at once
  uint64_t deleted = 0;    // sent rows removed by retention
  uint64_t errors = 0;     // cycles that failed (store or broker unavailable)
  uint64_t notifications = 0;  // PostgreSQL notifications about this outbox received
  uint64_t listen_errors = 0;  // LISTEN connections that failed or broke
  uint64_t connects = 0;  // broker connections opened, the first included (reconnects show here)
};

class Relay {
 public:
  // The store must outlive the relay. Throws std::invalid_argument for bad options.
  Relay(store::Store& store, RelayOptions options);
  ~Relay();
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  // Runs cycles on a background thread (with its own AMQP connection) until Stop().
  void Start();
  // Finishes the current cycle and joins the thread. Idempotent; also done by ~Relay.
  void Stop();
  // Wakes the background thread now: call right after committing a transaction that
  // appended rows. Cheap and thread-safe.
  void Notify();

  // One cycle on the calling thread, for tools and tests; do not mix with Start(). Returns
  // the number of rows claimed. Throws on store or broker failures.
  std::size_t RunOnce();

  RelayStats Stats() const;
  // Whether the relay currently LISTENs for the outbox's notifications (PostgreSQL).
  bool Listening() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace choreo::outbox
