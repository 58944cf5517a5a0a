#pragma once
// An order's timeline (`choreo-admin trace <order-id>`, the console's order page): every
// message of the order across all components, in time order with causes before their
// effects, and what became of it at each consumer. Choreography has no orchestrator to
// ask where an order is; this answers it from what the components already store (their
// outbox and inbox rows, the order worker's state) and from the dead-letter queues, not
// from logs.
//
// Reading (ReadTimelineFacts) and making sense of it (BuildTimeline) are apart, so the
// ordering and the matching of messages to consumers are unit-tested without I/O.
#include <cstdint>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "choreo/admin/admin.hpp"
#include "choreo/order/facts.hpp"
#include "choreo/outbox/facts.hpp"
#include "choreo/outbox/inbox.hpp"

namespace choreo::admin {

// What became of one message at one of its consumers.
struct TimelineDelivery {
  std::string consumer;
  // "handled"; "dead_lettered" (in its DLQ now); "pending" (not handled yet: queued, in
  // a retry queue, or lost to a bug); "unknown" (the consumer's store was not read).
  std::string outcome;
  std::optional<int64_t> handled_at_ms;
  std::optional<int64_t> latency_ms;  // handled_at - published_at
  int64_t retries = 0;  // failed attempts before the one that counts
  int64_t replays = 0;  // times an operator replayed it from a DLQ
  std::string span_id;       // the handling's span
  std::string link_span_id;  // the failed handling a retry or replay followed
  std::string error_class;   // dead-lettered: why
  std::string error_message;
};

struct TimelineMessage {
  std::string message_id;
  std::string event_type;
  std::string producer;
  std::optional<int64_t> published_at_ms;  // when the producer emitted it (committed)
  std::optional<int64_t> sent_at_ms;       // when the broker confirmed it (producer's outbox)
  std::string trace_id;
  std::string parent_span_id;  // the span that sent it
  std::vector<TimelineDelivery> deliveries;  // one per consumer, in subscriber order
};

struct Timeline {
  std::string order_id;
  std::string status;  // the order worker's state ("confirmed", ...); "" when it has none
  std::string reason;  // a cancelled order's reason
  std::vector<std::string> trace_ids;  // distinct, in order of appearance: one when all is well
  std::vector<TimelineMessage> messages;  // time order; a message after the handling that sent it
  std::vector<std::string> problems;      // stores or queues that could not be read
};

// What ReadTimelineFacts reads; BuildTimeline's input.
struct TimelineFacts {
  std::string order_id;
  std::map<std::string, std::vector<outbox::facts::ProducedRow>> produced;  // by component
  std::map<std::string, std::vector<outbox::InboxRecord>> handled;            // by component (read ones only)
  std::vector<DeadLetter> dead_letters;  // of this order, from every worker's DLQ
  std::optional<order::facts::OrderRecord> order;
  std::vector<std::string> problems;
};

Timeline BuildTimeline(const TimelineFacts& facts);

// Reads the stores (component -> URL; "provider" is ignored: it has no messages) and, with
// `broker`, every worker's DLQ (messages are looked at and given back, never taken). A
// store or queue that cannot be read is a problem in the result, not an exception.
TimelineFacts ReadTimelineFacts(const std::map<std::string, std::string>& stores,
                                const std::optional<Endpoints>& broker, const std::string& order_id);

nlohmann::json TimelineJson(const Timeline& timeline);
void WriteTimelineText(std::ostream& out, const Timeline& timeline);

// The timeline as rows of plain text, one per consumer of each message (times after
// start_ms, the first publication): what the text output prints and the console shows.
struct TimelineTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::optional<int64_t> start_ms;
};
TimelineTable TimelineRows(const Timeline& timeline);
// RFC 3339 UTC with milliseconds.
std::string FormatTimelineTime(int64_t epoch_ms);

}  // namespace choreo::admin
