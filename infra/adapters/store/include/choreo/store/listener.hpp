#pragma once
// PostgreSQL notifications: a connection of its own that LISTENs on one channel, so a
// process learns at once that another one committed something (NOTIFY is delivered at
// the notifying transaction's commit, never for a rolled-back one).
//
// The connection is plain libpq, not a Poco::Data session: Poco gives no access to
// notifications, and a listener holds its connection for its whole life instead of
// borrowing one from the pool. A listener whose connection broke stays broken: Wait()
// throws and the owner makes a new one (after a pause), meanwhile falling back to
// whatever it did without notifications.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "choreo/store/options.hpp"

typedef struct pg_conn PGconn;

namespace choreo::store {

class Listener {
 public:
  // Connects to the PostgreSQL database of `options.url` (bounded by
  // options.connect_timeout) and runs LISTEN `channel`. TCP keepalives are on, so a
  // connection whose peer vanished without a word is noticed within a minute.
  // Throws std::invalid_argument for a SQLite URL or a channel that is not a plain
  // identifier (letters, digits, underscores), TransientStoreError when the server cannot
  // be reached or refuses.
  Listener(const StoreOptions& options, std::string_view channel);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // The first column of the first row of `sql` (no parameters) on this connection, with
  // its settings (search_path...); nullopt for no row or NULL. Throws StoreError.
  std::optional<std::string> QueryText(const std::string& sql);

  // Waits up to `timeout` for notifications on the channel and returns their payloads, in
  // the order they were sent (empty when none came). Throws TransientStoreError once the
  // connection is broken.
  std::vector<std::string> Wait(std::chrono::milliseconds timeout);

 private:
  std::vector<std::string> Drain();
  [[noreturn]] void Broken(std::string_view context);

  PGconn* conn_ = nullptr;
  std::string channel_;
};

}  // namespace choreo::store
