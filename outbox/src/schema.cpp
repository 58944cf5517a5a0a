#include <nlohmann/json.hpp>

#include <chrono>
#include <stdexcept>
#include <string>

#include "choreo/outbox/inbox.hpp"
#include "choreo/outbox/outbox.hpp"

namespace choreo::outbox {

namespace {

// Timestamps are epoch milliseconds (BIGINT) so both dialects store the same values.
// The partial indexes serve the two hot queries without scanning sent rows: the relay's
// "pending rows in id order" and retention's "sent before X". The table is the same in
// both dialects but for its id column.
std::string CreateOutbox(const std::string& id_column) {
  return "CREATE TABLE choreo_outbox (\n            id " + id_column + R"(,
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
          CREATE INDEX choreo_outbox_sent ON choreo_outbox (sent_at) WHERE sent_at IS NOT NULL;)";
}

const std::vector<store::Migration>& OutboxMigrations() {
  static const std::vector<store::Migration> migrations = {
      {1, "create choreo_outbox", CreateOutbox("INTEGER PRIMARY KEY AUTOINCREMENT"),
       CreateOutbox("BIGSERIAL PRIMARY KEY")},
      // Relays of other replicas LISTEN for this (relay.hpp). A trigger rather than a call
      // in Append: whatever appends rows (a worker, the gateway, a tool, plain SQL)
      // notifies, inside its transaction, so the notification goes out at its commit and
      // never for a rollback. FOR EACH STATEMENT plus PostgreSQL folding identical
      // notifications of one transaction: one notification per commit, not per row.
      // SQLite: producers and their relay share a process (Relay::Notify); nothing to do.
      {2, "notify relays of new outbox rows", "SELECT 1",
       R"(CREATE FUNCTION choreo_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN
            PERFORM pg_notify('choreo_outbox', TG_TABLE_SCHEMA);
            RETURN NULL;
          END
          $$;
          CREATE TRIGGER choreo_outbox_notify AFTER INSERT ON choreo_outbox
            FOR EACH STATEMENT EXECUTE FUNCTION choreo_outbox_notify();)"},
      // An order's messages for its timeline (choreo-admin trace) without reading every
      // row's properties. Rows from before this migration have none: they are not found.
      {3, "outbox rows by order",
       R"(ALTER TABLE choreo_outbox ADD COLUMN correlation_id TEXT;
          CREATE INDEX choreo_outbox_correlation ON choreo_outbox (correlation_id);)",
       ""},
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
      // What an order's timeline (choreo-admin trace) needs of a handled message besides
      // its key: the order, the event, who sent it and when, the attempt and replays it
      // took, and its place in the trace. Empty for rows from before this migration.
      {2, "inbox rows describe the handled message",
       R"(ALTER TABLE choreo_inbox ADD COLUMN correlation_id TEXT;
          ALTER TABLE choreo_inbox ADD COLUMN event_type TEXT;
          ALTER TABLE choreo_inbox ADD COLUMN producer TEXT;
          ALTER TABLE choreo_inbox ADD COLUMN published_at BIGINT;
          ALTER TABLE choreo_inbox ADD COLUMN attempt INTEGER;
          ALTER TABLE choreo_inbox ADD COLUMN replays INTEGER;
          ALTER TABLE choreo_inbox ADD COLUMN trace_id TEXT;
          ALTER TABLE choreo_inbox ADD COLUMN span_id TEXT;
          ALTER TABLE choreo_inbox ADD COLUMN parent_span_id TEXT;
          ALTER TABLE choreo_inbox ADD COLUMN link_span_id TEXT;
          CREATE INDEX choreo_inbox_correlation ON choreo_inbox (correlation_id);)",
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
