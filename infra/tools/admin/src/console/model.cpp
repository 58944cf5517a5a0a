#include "console/model.hpp"

#include "choreo/admin/audit.hpp"

namespace choreo::admin::console {

RunRecord Context::Record() const {
  return ReadRunRecord(RunRecordPath(options.var_dir)).value_or(RunRecord{});
}

ListReport Queues(const Context& context) { return ListDeadLetterQueues(context.options.endpoints); }

Groups FailureGroups(const Context& context, const std::string& queue) {
  Groups groups;
  groups.report = Show(context.options.endpoints, ShowOptions{.queue = queue, .filter = {}, .limit = kMaxGroupScan});
  groups.groups = GroupByError(groups.report.messages);
  return groups;
}

ShowReport Messages(const Context& context, const std::string& queue, const Selection& selection) {
  return Show(context.options.endpoints,
              ShowOptions{.queue = queue, .filter = selection.ToFilter(), .limit = kMaxMessagesShown});
}

ReplayReport ReplaySelection(const Context& context, const std::string& queue, const Selection& selection,
                             bool dry_run) {
  ReplayOptions options;
  options.queue = queue;
  options.filter = selection.ToFilter();
  options.dry_run = dry_run;
  options.replayed_by = ConsoleReplayedBy();
  return Replay(context.options.endpoints, options);
}

std::vector<ComponentOutbox> Outboxes(const Context& context) {
  const RunRecord record = context.Record();
  std::vector<ComponentOutbox> outboxes;
  for (const char* component : kAuditComponents) {
    auto it = record.stores.find(component);
    if (it == record.stores.end()) continue;
    ComponentOutbox row{.component = component, .report = std::nullopt, .error = ""};
    try {
      row.report = OutboxStatus(it->second);
    } catch (const std::exception& e) {
      // The message names the store with its password hidden (OutboxStatus).
      row.error = e.what();
    }
    outboxes.push_back(std::move(row));
  }
  return outboxes;
}

std::vector<WorkerStatus> Workers(const Context& context) {
  return ScrapeWorkers(context.Record(), context.options.worker_timeout);
}

std::string ConsoleReplayedBy() { return DefaultReplayedBy() + " (console)"; }

}  // namespace choreo::admin::console
