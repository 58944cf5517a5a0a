#pragma once
// The console's pages as HTML text, from what model.hpp gathered. Pure: no I/O, so the
// escaping of every value a message carries is unit-tested (console_test.cpp).
#include <optional>
#include <string>
#include <vector>

#include "choreo/admin/admin.hpp"
#include "console/model.hpp"
#include "console/selection.hpp"
#include "console/workers.hpp"

namespace choreo::admin::console {

// /dlq/<queue>, the link to a queue's failure groups.
std::string QueueHref(const std::string& queue);

// /: every dead-letter queue with its depth and oldest age.
std::string QueuesPage(const ListReport& report);
// /dlq/{queue}: its failure groups; `replayed` is the count a replay just reported.
std::string GroupsPage(const std::string& queue, const Groups& groups, std::optional<std::size_t> replayed);
// /dlq/{queue}/messages: the messages of a selection with their reasons and bodies.
std::string MessagesPage(const std::string& queue, const Selection& selection, const ShowReport& report);
// /dlq/{queue}/replay: "Replay N messages from Q?" and the Confirm button (console.js
// posts the replay); `preview` is the dry run of the same replay.
std::string ConfirmPage(const std::string& queue, const Selection& selection, const ReplayReport& preview);

// /outbox and /workers.
std::string OutboxPage(const std::vector<ComponentOutbox>& outboxes);
std::string WorkersPage(const std::vector<WorkerStatus>& workers);

// A page that says what went wrong (the broker is unreachable, the queue does not exist).
std::string ErrorPage(const std::string& title, const std::string& detail);

}  // namespace choreo::admin::console
