#pragma once
// The outbox rows not yet sent, one by one, for readers outside the relay (choreo-admin
// audit tells young rows, which may still be on their way, from stuck ones). Status()
// in outbox.hpp gives the totals; this gives every row's age. The SQL lives next to the
// schema (src/schema.cpp) and outbox_facts_it runs it against that schema.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "choreo/store/store.hpp"

namespace choreo::outbox::facts {

struct PendingRow {
  std::int64_t created_at_ms = 0;  // Unix epoch milliseconds
  std::int64_t attempts = 0;       // > 0: failed at least once
};

// Every row with no sent_at, oldest id first.
std::vector<PendingRow> ReadPending(store::Tx& tx);

// A message one order's component produced, as its outbox row says (choreo-admin trace).
struct ProducedRow {
  std::string message_id;
  std::string event_type;
  std::string producer;     // the AMQP app id
  std::string traceparent;  // as sent; empty when the row has none
  std::int64_t created_at_ms = 0;
  std::optional<std::int64_t> sent_at_ms;  // confirmed by the broker
  std::int64_t attempts = 0;
  std::string last_error;
};

// The rows of `correlation_id` this outbox still has (sent rows go after their retention),
// oldest first.
std::vector<ProducedRow> ReadProducedOf(store::Tx& tx, std::string_view correlation_id);

}  // namespace choreo::outbox::facts
