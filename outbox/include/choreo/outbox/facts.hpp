#pragma once
// The outbox rows not yet sent, one by one, for readers outside the relay (choreo-admin
// audit tells young rows, which may still be on their way, from stuck ones). Status()
// in outbox.hpp gives the totals; this gives every row's age. The SQL lives next to the
// schema (src/schema.cpp) and outbox_facts_it runs it against that schema.
#include <cstdint>
#include <vector>

#include "choreo/store/store.hpp"

namespace choreo::outbox::facts {

struct PendingRow {
  std::int64_t created_at_ms = 0;  // Unix epoch milliseconds
  std::int64_t attempts = 0;       // > 0: failed at least once
};

// Every row with no sent_at, oldest id first.
std::vector<PendingRow> ReadPending(store::Tx& tx);

}  // namespace choreo::outbox::facts
