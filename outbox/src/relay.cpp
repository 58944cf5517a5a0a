#include "choreo/outbox/relay.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <vector>

#include "choreo/amqp/connection.hpp"
#include "choreo/amqp/error.hpp"
#include "choreo/amqp/publisher.hpp"
#include "choreo/log/log.hpp"
#include "choreo/outbox/outbox.hpp"
#include "choreo/outbox/properties.hpp"
#include "choreo/store/listener.hpp"

namespace choreo::outbox {

using Poco::Data::Keywords::into;
using Poco::Data::Keywords::use;

void RelayOptions::Validate() const {
  amqp.Validate();
  if (batch_size == 0) throw std::invalid_argument("relay: batch_size must be at least 1");
  if (window == 0) throw std::invalid_argument("relay: window must be at least 1");
  if (sweep_interval.count() <= 0) throw std::invalid_argument("relay: sweep_interval must be positive");
  if (confirm_timeout.count() <= 0) throw std::invalid_argument("relay: confirm_timeout must be positive");
  if (retry_initial.count() <= 0 || retry_max < retry_initial) {
    throw std::invalid_argument("relay: need 0 < retry_initial <= retry_max");
  }
  if (retention.count() < 0) throw std::invalid_argument("relay: retention must not be negative");
  if (cleanup_interval.count() <= 0) throw std::invalid_argument("relay: cleanup_interval must be positive");
  if (foreign_grace.count() < 0) throw std::invalid_argument("relay: foreign_grace must not be negative");
  if (listen_retry_max.count() <= 0) throw std::invalid_argument("relay: listen_retry_max must be positive");
}

namespace {

struct Row {
  int64_t id = 0;
  std::string message_id;
  std::string exchange;
  std::string routing_key;
  std::string properties;
  std::string body;
  int attempts = 0;
};

// What became of one row in a cycle.
struct Failure {
  int64_t id = 0;
  std::string message_id;
  int attempts = 0;
  std::string error;
};

struct CycleResult {
  std::vector<int64_t> sent;
  std::vector<Failure> failed;  // returned, nacked, refused: back off
  std::size_t unknown = 0;      // no confirm: stays pending, retried at once
};

}  // namespace

struct Relay::Impl {
  Impl(store::Store& s, RelayOptions o) : store(s), options(std::move(o)) {}

  store::Store& store;
  RelayOptions options;

  // Owned by whichever single thread runs cycles (rabbitmq-c is not thread-safe).
  std::unique_ptr<amqp::Connection> connection;
  std::unique_ptr<amqp::Publisher> publisher;

  std::thread thread;
  std::thread listen_thread;  // PostgreSQL with options.listen only
  std::atomic<bool> listening{false};
  std::mutex mutex;
  std::condition_variable wake;
  bool stop_requested = false;
  bool notified = false;  // by this process (Notify): cycle at once
  // The first notification from the database that no cycle has covered yet: a cycle
  // starts foreign_grace after it, unless one starts earlier for another reason.
  std::optional<std::chrono::steady_clock::time_point> foreign_since;
  int64_t last_cleanup_ms = 0;

  struct Counters {
    std::atomic<uint64_t> cycles{0}, published{0}, confirmed{0}, returned{0}, nacked{0}, refused{0}, unknown{0},
        deleted{0}, errors{0}, notifications{0}, listen_errors{0}, connects{0};
  } counters;

  void Hook(RelayStage stage) {
    if (options.stage_hook) options.stage_hook(stage);
  }

  // Connections opened before the current one, with the reconnects each made inside.
  uint64_t connects_before = 0;

  void EnsureConnected() {
    if (connection) {
      // rabbitmq-c answers heartbeats only inside its own calls, and an idle relay makes
      // none: unserviced, the connection is dropped by the broker after two missed
      // heartbeats, and the next publish pays for a reconnect. Every cycle (at least one
      // per sweep_interval) services it; this never blocks or throws.
      connection->Service();
      return;
    }
    connection = std::make_unique<amqp::Connection>(options.amqp);
    ++connects_before;
    if (options.declare) options.declare(*connection);
    publisher = std::make_unique<amqp::Publisher>(*connection, amqp::PublisherOptions{.window = options.window});
  }

  void DropConnection() {
    if (connection) connects_before += connection->Reconnects();
    publisher.reset();
    connection.reset();
  }

  std::vector<Row> Claim(store::Tx& tx) {
    std::vector<Poco::Int64> ids;
    std::vector<std::string> message_ids, exchanges, routing_keys, properties, bodies;
    std::vector<int> attempts;
    // Pending rows in id order, which is commit order for one producer. On PostgreSQL the
    // rows stay locked until this transaction ends; other relays skip them.
    std::string sql =
        "SELECT id, message_id, exchange, routing_key, properties, body, attempts FROM choreo_outbox "
        "WHERE sent_at IS NULL AND next_attempt_at <= ? ORDER BY id LIMIT ?";
    if (tx.Dialect() == store::Dialect::kPostgres) sql += " FOR UPDATE SKIP LOCKED";
    tx.Run(sql, into(ids), into(message_ids), into(exchanges), into(routing_keys), into(properties), into(bodies),
           into(attempts), NowMs(), static_cast<int64_t>(options.batch_size));
    std::vector<Row> rows(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
      rows[i] = Row{ids[i], std::move(message_ids[i]), std::move(exchanges[i]), std::move(routing_keys[i]),
                    std::move(properties[i]), std::move(bodies[i]), attempts[i]};
    }
    return rows;
  }

  // Publishes `rows` pipelined. A broker refusal (channel.close, e.g. 404 for an unknown
  // exchange) arrives asynchronously and cannot be attributed to one row of a pipelined
  // batch, so such a batch is published again one row at a time, waiting for each
  // confirm: slow, but it only happens on this error path and pins the refusal on the
  // row that caused it. Rows published twice that way keep their message id.
  CycleResult Publish(const std::vector<Row>& rows) {
    try {
      return PublishPipelined(rows);
    } catch (const amqp::ChannelClosedError& e) {
      log::Warn("broker refused a publish; republishing the batch one by one", {{"error", e.what()}});
      return PublishOneByOne(rows);
    }
  }

  CycleResult PublishPipelined(const std::vector<Row>& rows) {
    CycleResult result;
    std::unordered_map<uint64_t, const Row*> in_flight;
    for (const Row& row : rows) {
      std::optional<amqp::Message> message = Decode(row, result);
      if (!message) continue;
      uint64_t seq = publisher->Publish(row.exchange, row.routing_key, *message);
      in_flight.emplace(seq, &row);
      counters.published++;
    }
    Collect(publisher->WaitForConfirms(options.confirm_timeout), in_flight, result);
    return result;
  }

  CycleResult PublishOneByOne(const std::vector<Row>& rows) {
    CycleResult result;
    for (const Row& row : rows) {
      std::optional<amqp::Message> message = Decode(row, result);
      if (!message) continue;
      std::unordered_map<uint64_t, const Row*> in_flight;
      try {
        in_flight.emplace(publisher->Publish(row.exchange, row.routing_key, *message), &row);
        counters.published++;
        Collect(publisher->WaitForConfirms(options.confirm_timeout), in_flight, result);
      } catch (const amqp::ChannelClosedError& e) {
        counters.refused++;
        result.failed.push_back({row.id, row.message_id, row.attempts, e.what()});
      }
    }
    return result;
  }

  std::optional<amqp::Message> Decode(const Row& row, CycleResult& result) {
    try {
      return detail::DecodeMessage(row.message_id, row.properties, row.body);
    } catch (const std::exception& e) {
      result.failed.push_back({row.id, row.message_id, row.attempts, e.what()});
      return std::nullopt;
    }
  }

  // Sorts confirm results into `result`; whatever stays in `in_flight` got no answer in
  // time and stays pending (the next cycle republishes it with the same message id).
  void Collect(const std::vector<amqp::PublishResult>& results, std::unordered_map<uint64_t, const Row*>& in_flight,
               CycleResult& result) {
    for (const amqp::PublishResult& r : results) {
      auto it = in_flight.find(r.seq);
      if (it == in_flight.end()) continue;  // a late result of an earlier cycle
      const Row& row = *it->second;
      in_flight.erase(it);
      switch (r.outcome) {
        case amqp::PublishOutcome::kConfirmed:
          result.sent.push_back(row.id);
          break;
        case amqp::PublishOutcome::kReturned:
          counters.returned++;
          if (std::find(options.may_be_unrouted.begin(), options.may_be_unrouted.end(), row.routing_key) !=
              options.may_be_unrouted.end()) {
            result.sent.push_back(row.id);  // confirmed too; nobody has to be bound for it
            break;
          }
          result.failed.push_back({row.id, row.message_id, row.attempts,
                                   "unroutable: " + std::to_string(r.reply_code) + " " + r.reply_text + " (exchange '" +
                                       row.exchange + "', routing key '" + row.routing_key + "')"});
          break;
        case amqp::PublishOutcome::kNacked:
          counters.nacked++;
          result.failed.push_back({row.id, row.message_id, row.attempts, "nacked by the broker"});
          break;
        case amqp::PublishOutcome::kFailed:
          counters.unknown++;
          result.unknown++;
          break;
      }
    }
    result.unknown += in_flight.size();
    counters.unknown += in_flight.size();
    in_flight.clear();
  }

  void Mark(store::Tx& tx, const CycleResult& result) {
    const int64_t now = NowMs();
    // One UPDATE per run of consecutive ids instead of one per row: a claimed batch is
    // usually one run (ids are assigned in commit order), so marking it costs one
    // statement. A run's BETWEEN covers exactly its ids, no others.
    std::vector<int64_t> sent = result.sent;
    std::sort(sent.begin(), sent.end());
    for (std::size_t first = 0; first < sent.size();) {
      std::size_t last = first;
      while (last + 1 < sent.size() && sent[last + 1] == sent[last] + 1) ++last;
      tx.Run("UPDATE choreo_outbox SET sent_at = ? WHERE id BETWEEN ? AND ?", now, sent[first], sent[last]);
      first = last + 1;
    }
    for (const Failure& f : result.failed) {
      const int attempts = f.attempts + 1;
      int64_t delay = options.retry_initial.count();
      for (int i = 1; i < attempts && delay < options.retry_max.count(); ++i) delay *= 2;
      delay = std::min<int64_t>(delay, options.retry_max.count());
      tx.Run("UPDATE choreo_outbox SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?", attempts,
             now + delay, f.error.substr(0, 1000), f.id);
      log::Warn("outbox row not published; will retry",
                {{"message_id", f.message_id}, {"attempts", attempts}, {"retry_in_ms", delay}, {"error", f.error}});
    }
  }

  std::size_t Cycle() {
    EnsureConnected();
    counters.cycles++;
    std::size_t claimed = 0;
    CycleResult result;
    try {
      if (store.Dialect() == store::Dialect::kPostgres) {
        // Lazy: this transaction only marks rows sent (or schedules their retry); losing
        // it in a server crash republishes them, which every consumer's inbox absorbs. So
        // its commit need not wait for the WAL flush, which on a busy server is the
        // dearest part of a cycle and the one all components queue for.
        store.InTransaction([&](store::Tx& tx) {
          std::vector<Row> rows = Claim(tx);
          claimed = rows.size();
          if (rows.empty()) return;
          Hook(RelayStage::kClaimed);
          result = Publish(rows);
          Hook(RelayStage::kPublished);
          Mark(tx, result);
        }, store::Durability::kLazy);
      } else {
        std::vector<Row> rows = store.InTransaction([&](store::Tx& tx) { return Claim(tx); });
        claimed = rows.size();
        if (rows.empty()) return 0;
        Hook(RelayStage::kClaimed);
        result = Publish(rows);
        Hook(RelayStage::kPublished);
        // Lazy, as above: the mark rides on the next durable commit's fsync.
        if (!result.sent.empty() || !result.failed.empty()) {
          store.InTransaction([&](store::Tx& tx) { Mark(tx, result); }, store::Durability::kLazy);
        }
      }
    } catch (const amqp::Error&) {
      // A broken connection is rebuilt on the next cycle; rows stay pending.
      DropConnection();
      throw;
    }
    counters.connects = connects_before + (connection ? connection->Reconnects() : 0);
    if (claimed > 0) Hook(RelayStage::kMarked);
    counters.confirmed += result.sent.size();
    MaybeCleanup();
    return claimed;
  }

  void MaybeCleanup() {
    const int64_t now = NowMs();
    if (now - last_cleanup_ms < options.cleanup_interval.count()) return;
    last_cleanup_ms = now;
    counters.deleted += DeleteSent(store, options.retention);
  }

  bool StopRequested() {
    std::lock_guard lock(mutex);
    return stop_requested;
  }

  void Wake() {
    {
      std::lock_guard lock(mutex);
      notified = true;
    }
    // All: the listener thread waits on the same condition during its backoff, and must
    // not swallow the wake-up meant for the cycle loop.
    wake.notify_all();
  }

  // A notification from the database: rows another process (or this one) committed.
  void WakeForeign() {
    {
      std::lock_guard lock(mutex);
      if (foreign_since) return;  // already waiting for the grace of an earlier one
      foreign_since = std::chrono::steady_clock::now();
    }
    wake.notify_all();  // the loop recomputes how long it sleeps
  }

  // Sleeps until Notify, stop, the grace of a pending notification, or the sweep.
  void WaitForWork(std::unique_lock<std::mutex>& lock) {
    const auto sweep_at = std::chrono::steady_clock::now() + options.sweep_interval;
    while (!stop_requested && !notified) {
      auto until = sweep_at;
      if (foreign_since) until = std::min(until, *foreign_since + options.foreign_grace);
      if (std::chrono::steady_clock::now() >= until) return;
      wake.wait_until(lock, until);
    }
  }

  // Keeps a LISTEN connection open for as long as the relay runs and wakes the relay for
  // every commit that appended rows to this outbox, also in other processes. Any failure
  // (server gone, connection cut) only costs latency: the relay keeps sweeping, and the
  // connection is rebuilt with backoff. Never throws.
  void ListenLoop() {
    // What a notification's payload must be for it to be about our table: the schema the
    // store's search_path resolves choreo_outbox to, on a connection with the same URL.
    static const std::string kOwnSchema =
        "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.oid = to_regclass('choreo_outbox')";
    auto backoff = std::chrono::milliseconds(100);
    while (!StopRequested()) {
      try {
        store::StoreOptions listen_options = store.Options();
        if (!options.listen_url.empty()) listen_options.url = options.listen_url;
        store::Listener listener(listen_options, kNotifyChannel);
        const std::optional<std::string> schema = listener.QueryText(kOwnSchema);
        listening = true;
        backoff = std::chrono::milliseconds(100);
        // Rows may have been committed while nobody listened: look now.
        Wake();
        while (!StopRequested()) {
          for (const std::string& payload : listener.Wait(std::chrono::milliseconds(200))) {
            if (schema && payload != *schema) continue;  // another schema's outbox
            counters.notifications++;
            WakeForeign();
          }
        }
      } catch (const std::exception& e) {
        counters.listen_errors++;
        log::Warn("outbox relay cannot LISTEN; sweeping until it can",
                  {{"error", e.what()}, {"retry_in_ms", backoff.count()}});
      } catch (...) {
        counters.listen_errors++;
      }
      listening = false;
      std::unique_lock lock(mutex);
      wake.wait_for(lock, backoff, [&] { return stop_requested; });
      backoff = std::min(backoff * 2, options.listen_retry_max);
    }
  }

  void Loop() {
    auto error_backoff = std::chrono::milliseconds(100);
    while (true) {
      {
        std::lock_guard lock(mutex);
        if (stop_requested) break;
        notified = false;
        // A notification is sent after its commit, so the claim of the cycle starting
        // now sees the rows of every one received so far: they need no cycle of their own.
        foreign_since.reset();
      }
      std::size_t claimed = 0;
      try {
        claimed = Cycle();
        error_backoff = std::chrono::milliseconds(100);
      } catch (const std::exception& e) {
        counters.errors++;
        log::Error("outbox relay cycle failed; retrying", {{"error", e.what()}, {"retry_in_ms", error_backoff.count()}});
        std::unique_lock lock(mutex);
        wake.wait_for(lock, error_backoff, [&] { return stop_requested; });
        error_backoff = std::min(error_backoff * 2, std::chrono::milliseconds(5000));
        continue;
      } catch (...) {
        counters.errors++;
        log::Error("outbox relay cycle failed with an unknown exception");
        continue;
      }
      if (claimed >= options.batch_size) continue;  // more rows are probably waiting
      std::unique_lock lock(mutex);
      WaitForWork(lock);
    }
    DropConnection();
  }
};

Relay::Relay(store::Store& store, RelayOptions options) {
  options.Validate();
  impl_ = std::make_unique<Impl>(store, std::move(options));
}

Relay::~Relay() {
  try {
    Stop();
  } catch (...) {
  }
}

void Relay::Start() {
  std::lock_guard lock(impl_->mutex);
  if (impl_->thread.joinable()) return;
  impl_->stop_requested = false;
  impl_->thread = std::thread([impl = impl_.get()] { impl->Loop(); });
  if (impl_->options.listen && impl_->store.Dialect() == store::Dialect::kPostgres) {
    impl_->listen_thread = std::thread([impl = impl_.get()] { impl->ListenLoop(); });
  }
}

void Relay::Stop() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stop_requested = true;
  }
  impl_->wake.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
  if (impl_->listen_thread.joinable()) impl_->listen_thread.join();
}

void Relay::Notify() { impl_->Wake(); }

bool Relay::Listening() const { return impl_->listening; }

std::size_t Relay::RunOnce() { return impl_->Cycle(); }

RelayStats Relay::Stats() const {
  const auto& c = impl_->counters;
  return RelayStats{c.cycles,  c.published, c.confirmed, c.returned,      c.nacked,          c.refused,
                    c.unknown, c.deleted,   c.errors,    c.notifications, c.listen_errors, c.connects};
}

}  // namespace choreo::outbox
