#pragma once
// The logic of `choreo-admin` (docs/operations.md) as a library, so tests drive it in
// process and main.cpp stays a thin shell around RunCli (cli.hpp).
//
// Reading a dead-letter queue never loses a message: every command takes messages with
// basic.get WITHOUT auto-ack and holds them unacknowledged for the whole pass, so a
// message is seen once per pass and the broker gives back everything the tool did not
// explicitly settle (at the end with one nack-all-requeue, or when the connection dies).
// Only two things ever ack a DLQ message: a confirmed republish (replay) and a purge.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "choreo/amqp/message.hpp"
#include "choreo/contracts/time.hpp"

namespace choreo::admin {

// Exit codes of every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // some or all of the work failed; the broker is unreachable
inline constexpr int kExitUsage = 2;    // bad arguments, unknown queue or vhost

// Bad arguments, a queue that does not exist, a queue that is not a DLQ: exit code 2.
struct UsageError : std::runtime_error {
  using runtime_error::runtime_error;
};

// Anything else that stops a command (broker or management API unreachable, refused
// credentials, a store that cannot be read): exit code 1.
struct CommandError : std::runtime_error {
  using runtime_error::runtime_error;
};

// Where the broker is. Credentials for the management API come from the AMQP URL.
struct Endpoints {
  std::string amqp_url = "amqp://guest:guest@127.0.0.1:5672/";
  std::string mgmt_url = "http://127.0.0.1:15672";
  // Shown in the management UI; lets an operator (or a test) find the tool's connection.
  std::string connection_name = "choreo-admin";
  std::chrono::milliseconds connect_timeout{5000};
  // Reconnect attempts after a connection is lost mid-command (0 = none).
  int reconnect_attempts = 12;
};

// A dead-lettered message with what the runtime wrote about it (contracts/dead_letter.hpp),
// falling back to the envelope in the body and to the broker's x-death headers.
struct DeadLetter {
  std::string message_id;
  std::string event_type;
  std::string correlation_id;
  std::string error_class;
  std::string error_message;
  std::string worker;
  std::string original_exchange;
  std::string original_routing_key;
  std::string original_queue;
  // Where original_exchange / original_routing_key came from: "headers" (the runtime's),
  // "x-death" (the broker's), or "" when neither says (such a message cannot be replayed).
  std::string destination_source;
  std::optional<int64_t> attempts;
  std::string dead_lettered_at;  // as written (RFC 3339), or derived from x-death
  std::optional<contracts::Millis> dead_lettered_time;
  int64_t replay_count = 0;
  std::string last_replayed_at;
  std::string last_replayed_by;
  // Set when the broker itself dead-lettered the message (no runtime error class, or an
  // x-death newer than it): the x-death reason, e.g. "delivery_limit". error_class is then
  // "broker:<reason>" and error_message says in words what happened.
  std::string broker_reason;
  // broker_reason "delivery_limit": the delivery limit of original_queue, when known
  // (Show reads it from the management API; Describe cannot know it).
  std::optional<int64_t> delivery_limit;
  amqp::Message message;  // everything, as delivered

  bool HasDestination() const { return !destination_source.empty(); }
};

DeadLetter Describe(const amqp::Message& message);

// Why the broker dead-lettered a message, in words, from the x-death reason and (for
// "delivery_limit") the limit of the queue it died in, when known. A quorum queue
// dead-letters a message once it comes back more often than its limit, so it was
// delivered limit + 1 times.
std::string ExplainBrokerDeadLetter(std::string_view reason, std::optional<int64_t> delivery_limit);

// Identity of one DLQ copy within a pass: message id, when and how often it was dead-
// lettered / replayed, and the body. A copy that comes back after a lost connection has
// the same fingerprint; the republished copy of a replay (replay count + 1) does not.
std::string Fingerprint(const DeadLetter& letter);

// Which messages a command acts on. Empty lists match everything; all set criteria must
// hold (AND), values within one list are alternatives (OR).
struct Filter {
  std::vector<std::string> ids;             // exact message ids
  std::vector<std::string> types;           // event types; '*' matches any run of characters
  std::vector<std::string> error_classes;   // exact x-choreo-error-class values
  std::optional<std::string> error_message; // substring of x-choreo-error-message
  // The whole error message, exactly: with an error class, one failure group of
  // GroupByError (the console replays a group this way; a substring could reach others).
  std::optional<std::string> error_message_is;
  std::optional<std::chrono::milliseconds> older_than;  // dead-lettered at least this long ago

  bool Empty() const;
  bool Matches(const DeadLetter& letter, contracts::Millis now) const;
  // "type=order.placed error=permanent", for summaries.
  std::string Describe() const;
};

// "250ms", "90s", "15m", "2h", "7d", "1h30m". nullopt when malformed or empty.
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text);
// "2h 14m", "45s", "3d 4h", "0s".
std::string FormatAge(std::chrono::milliseconds age);
// Glob with '*' only.
bool GlobMatch(std::string_view pattern, std::string_view text);

// `user@host` from $USER (or the login name) and the host name.
std::string DefaultReplayedBy();

// The headers a replay removes from the republished copy: the broker's death history
// (otherwise the runtime would count the old deaths as retry attempts and dead-letter
// the message again at once), the quorum queue redelivery counter and the publish
// sequence stamp of the previous publisher.
bool IsStrippedOnReplay(std::string_view header);

// The message a replay publishes for `letter`: all properties and headers as they are,
// minus IsStrippedOnReplay, plus x-choreo-replay-count (incremented),
// x-choreo-replayed-at and x-choreo-replayed-by.
amqp::Message ReplayCopy(const DeadLetter& letter, std::string_view replayed_by,
                         std::string_view replayed_at);

// ---------------------------------------------------------------------------------------
// dlq list

struct QueueSummary {
  std::string name;
  uint32_t messages = 0;  // ready messages (exact, from a passive declare)
  std::optional<std::chrono::milliseconds> oldest_age;
  std::string oldest_dead_lettered_at;
};

struct ListReport {
  std::string vhost;
  std::vector<QueueSummary> queues;
  // "management" (every queue ending in .dlq in the vhost) or "topology" (the DLQs of
  // contracts/topology.hpp, when the management API cannot be reached).
  std::string source;
  std::vector<std::string> warnings;
};

ListReport ListDeadLetterQueues(const Endpoints& endpoints);

// ---------------------------------------------------------------------------------------
// dlq show

struct ShowOptions {
  std::string queue;
  Filter filter;
  std::optional<std::size_t> limit;  // at most this many matching messages; unset = all
};

struct ShowReport {
  std::string queue;
  uint32_t depth = 0;         // ready messages when the pass started
  std::size_t examined = 0;   // messages looked at
  std::size_t matched = 0;    // of those, matching the filter (may exceed messages.size())
  std::vector<DeadLetter> messages;
};

ShowReport Show(const Endpoints& endpoints, const ShowOptions& options);

struct ErrorGroup {
  std::string error_class;
  std::string error_message;
  std::size_t count = 0;
  std::vector<std::string> event_types;  // distinct, sorted
  std::vector<std::string> workers;      // distinct, sorted
  std::string first_dead_lettered_at;
  std::string last_dead_lettered_at;
  std::string example_message_id;
};

// Largest group first; ties by class then message.
std::vector<ErrorGroup> GroupByError(const std::vector<DeadLetter>& letters);

// ---------------------------------------------------------------------------------------
// dlq replay / dlq purge

enum class Action {
  kReplayed,     // republished (confirmed) and the DLQ copy acked
  kWouldReplay,  // dry run
  kSkipped,      // did not match the filter (stays in the DLQ)
  kFailed,       // selected but not republished (stays in the DLQ); see reason
  kPurged,
  kWouldPurge,
};

const char* ToString(Action action);

struct MessageOutcome {
  std::string message_id;
  std::string event_type;
  std::string error_class;
  std::string exchange;     // replay target
  std::string routing_key;  // replay target
  Action action = Action::kSkipped;
  std::string reason;  // kFailed: why
};

struct Progress {
  uint32_t depth = 0;  // ready messages when the pass started
  std::size_t examined = 0;
  std::size_t done = 0;  // replayed or purged (or would be, in a dry run)
  std::size_t skipped = 0;
  std::size_t failed = 0;
  std::chrono::milliseconds elapsed{0};
};

struct ReplayOptions {
  std::string queue;
  Filter filter;
  std::optional<std::size_t> limit;  // at most this many selected messages
  bool dry_run = false;
  std::optional<double> rate;  // messages per second
  // Publish to the original work queue (default exchange, routing key = queue) instead of
  // the original exchange, so other subscribers of the event do not see it again.
  bool to_queue = false;
  std::string replayed_by;  // empty: DefaultReplayedBy()
  std::size_t window = 64;  // publishes awaiting confirms at once
  // Called after every message is settled, on the calling thread.
  std::function<void(const Progress&)> on_progress;
};

// What a pass that changes a DLQ (replay, purge) reports besides its own counts.
struct PassReport {
  std::string queue;
  bool dry_run = false;
  uint32_t depth = 0;
  std::size_t examined = 0;
  uint64_t reconnects = 0;
  std::string error;  // set when the run stopped early
};

struct ReplayReport : PassReport {
  std::size_t replayed = 0;  // or "would replay" in a dry run
  std::size_t skipped = 0;
  std::size_t failed = 0;
  // DLQ copies seen again after a lost connection although their republish had been
  // confirmed (the ack was lost): acked now, not published a second time.
  std::size_t late_acks = 0;
  std::vector<MessageOutcome> messages;  // skipped messages are left out
  std::chrono::milliseconds elapsed{0};
};

ReplayReport Replay(const Endpoints& endpoints, const ReplayOptions& options);

struct PurgeOptions {
  std::string queue;
  Filter filter;
  std::optional<std::size_t> limit;
  bool dry_run = false;
  std::function<void(const Progress&)> on_progress;
};

struct PurgeReport : PassReport {
  std::size_t purged = 0;  // or "would purge" in a dry run
  std::size_t kept = 0;
  std::vector<MessageOutcome> messages;  // purged ones only
};

PurgeReport Purge(const Endpoints& endpoints, const PurgeOptions& options);

// Ready messages in `queue`; UsageError when it does not exist.
uint32_t QueueDepth(const Endpoints& endpoints, const std::string& queue);

// ---------------------------------------------------------------------------------------
// outbox status

struct OutboxReport {
  int64_t pending = 0;
  int64_t failing = 0;
  std::optional<std::chrono::milliseconds> oldest_pending_age;
  std::optional<int64_t> last_sent_at_ms;
};

OutboxReport OutboxStatus(const std::string& store_url);

}  // namespace choreo::admin
