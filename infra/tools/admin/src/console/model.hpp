#pragma once
// What the console's pages and its JSON API show, gathered through the same library
// functions as the command line (admin.hpp): one place for both, so a page never says
// something the API (or `choreo-admin dlq show`) would not.
#include <optional>
#include <string>
#include <vector>

#include "choreo/admin/admin.hpp"
#include "choreo/admin/console.hpp"
#include "choreo/admin/run_record.hpp"
#include "console/selection.hpp"
#include "console/workers.hpp"

namespace choreo::admin::console {

// At most this many messages are read to group a queue, and shown on one page.
inline constexpr std::size_t kMaxGroupScan = 10000;
inline constexpr std::size_t kMaxMessagesShown = 200;

struct Context {
  ConsoleOptions options;
  // infra/up's run record, read now (an empty one when there is none).
  RunRecord Record() const;
};

ListReport Queues(const Context& context);

struct Groups {
  ShowReport report;  // messages: those read (up to kMaxGroupScan)
  std::vector<ErrorGroup> groups;
};
Groups FailureGroups(const Context& context, const std::string& queue);

ShowReport Messages(const Context& context, const std::string& queue, const Selection& selection);

// The replay of `selection` through admin::Replay; `dry_run`: count only (what the
// confirmation asks about).
ReplayReport ReplaySelection(const Context& context, const std::string& queue, const Selection& selection,
                             bool dry_run);

struct ComponentOutbox {
  std::string component;
  std::optional<OutboxReport> report;
  std::string error;  // set instead of report when the store could not be read
};
// Every recorded component's outbox (admin::OutboxStatus), in the audit's order.
std::vector<ComponentOutbox> Outboxes(const Context& context);

std::vector<WorkerStatus> Workers(const Context& context);

// Who replays, for x-choreo-replayed-by: the console's user and host.
std::string ConsoleReplayedBy();

}  // namespace choreo::admin::console
