#include <nlohmann/json.hpp>

#include <chrono>
#include <stdexcept>

#include "choreo/outbox/inbox.hpp"
#include "choreo/outbox/outbox.hpp"

namespace choreo::outbox {

namespace {

// Timestamps are epoch milliseconds (BIGINT) so both dialects store the same values.
// The partial indexes serve the two hot queries without scanning sent rows: the relay's
// "pending rows in id order" and retention's "sent before X".
const std::vector<store::Migration>& OutboxMigrations() {
  static const std::vector<store::Migration> migrations = {
      {1, "create choreo_outbox",
       R"(CREATE TABLE choreo_outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            message_id TEXT NOT NULL UNIQUE,
            exchange TEXT NOT NULL,
            routing_key TEXT NOT NULL,
            properties TEXT NOT NULL,
            body TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at BIGINT NOT NULL DEFAULT 0,
            last_error TEXT,
            sent_at BIGINT
          );
          CREATE INDEX choreo_outbox_pending ON choreo_outbox (id) WHERE sent_at IS NULL;
          CREATE INDEX choreo_outbox_sent ON choreo_outbox (sent_at) WHERE sent_at IS NOT NULL;)",
       R"(CREATE TABLE choreo_outbox (
            id BIGSERIAL PRIMARY KEY,
            message_id TEXT NOT NULL UNIQUE,
            exchange TEXT NOT NULL,
            routing_key TEXT NOT NULL,
            properties TEXT NOT NULL,
            body TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at BIGINT NOT NULL DEFAULT 0,
            last_error TEXT,
            sent_at BIGINT
          );
          CREATE INDEX choreo_outbox_pending ON choreo_outbox (id) WHERE sent_at IS NULL;
          CREATE INDEX choreo_outbox_sent ON choreo_outbox (sent_at) WHERE sent_at IS NOT NULL;)"},
  };
  return migrations;
}

const std::vector<store::Migration>& InboxMigrations() {
  static const std::vector<store::Migration> migrations = {
      {1, "create choreo_inbox",
       R"(CREATE TABLE choreo_inbox (
            consumer TEXT NOT NULL,
            message_id TEXT NOT NULL,
            received_at BIGINT NOT NULL,
            PRIMARY KEY (consumer, message_id)
          );
          CREATE INDEX choreo_inbox_received ON choreo_inbox (received_at);)",
       ""},
  };
  return migrations;
}

}  // namespace

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void InstallSchema(store::Store& store) {
  store.Migrate("choreo.outbox", OutboxMigrations());
  store.Migrate("choreo.inbox", InboxMigrations());
}

}  // namespace choreo::outbox
