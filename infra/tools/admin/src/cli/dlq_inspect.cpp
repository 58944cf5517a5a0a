// dlq list and dlq show: looking at dead letters, never removing them.
#include <ostream>

#include "cli/commands.hpp"
#include "cli/dlq_render.hpp"
#include "text.hpp"

namespace choreo::admin::cli {

namespace {

using nlohmann::json;

constexpr std::size_t kDefaultShowLimit = 50;

constexpr const char* kListUsage = R"(Usage: choreo-admin dlq list [--json]

Lists every queue whose name ends in .dlq in the vhost of the AMQP URL, with its depth
(ready messages) and the age of its oldest message (when it was dead-lettered). Names come
from the management API; if that cannot be reached, the dead-letter queues of the choreo
topology are listed instead (with a warning). Nothing is removed or reordered.
)";

constexpr const char* kShowUsage =
    R"(Usage: choreo-admin dlq show <queue> [--limit N] [--full] [--group-by error] [filters] [--json]

Prints each message: message id, event type, correlation id, error class and message,
worker, original exchange and routing key, attempts, when it was dead-lettered, replay
history and the body (pretty JSON, cut at 600 characters unless --full). Shows at most 50
messages unless --limit says otherwise. Messages are looked at and given back in their
order: show never removes anything.

  --group-by error   one line per (error class, error message) with counts, like a
                     failure-group view; reads the whole queue unless --limit is given
  --full             whole bodies
)";

int DlqList(const Args& args, const Io& io) {
  NoMoreArguments(args, 2);
  ListReport report = ListDeadLetterQueues(EndpointsFrom(args, io.env));
  for (const std::string& w : report.warnings) io.err << "choreo-admin: warning: " << w << "\n";
  if (args.Has("json")) {
    json j = {{"vhost", report.vhost}, {"source", report.source}, {"queues", json::array()},
              {"warnings", report.warnings}};
    for (const QueueSummary& q : report.queues) j["queues"].push_back(QueueJson(q));
    io.out << PrettyJson(j) << "\n";
    return kExitOk;
  }
  if (report.queues.empty()) {
    io.out << "no dead-letter queues in vhost '" << report.vhost << "'\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  uint64_t total = 0;
  for (const QueueSummary& q : report.queues) {
    total += q.messages;
    std::string oldest = q.messages == 0 ? "-" : (q.oldest_age ? FormatAge(*q.oldest_age) : "?");
    rows.push_back({q.name, std::to_string(q.messages), oldest, Display(q.oldest_dead_lettered_at)});
  }
  PrintTable(io.out, {"QUEUE", "MESSAGES", "OLDEST", "OLDEST DEAD-LETTERED AT"}, rows, {1});
  io.out << report.queues.size() << " dead-letter queue" << (report.queues.size() == 1 ? "" : "s") << " in vhost '"
         << report.vhost << "', " << total << " message" << (total == 1 ? "" : "s") << "\n";
  return kExitOk;
}

std::string Joined(const std::vector<std::string>& words) {
  std::string text;
  for (const auto& w : words) text += (text.empty() ? "" : ",") + w;
  return text;
}

// What both views of `dlq show --json` start with.
json ShownJson(const ShowReport& report) {
  return {{"queue", report.queue}, {"depth", report.depth}, {"examined", report.examined}, {"matched", report.matched}};
}

int ShowGroups(const Args& args, const ShowReport& report, std::ostream& out) {
  std::vector<ErrorGroup> groups = GroupByError(report.messages);
  if (args.Has("json")) {
    json j = ShownJson(report);
    j["groups"] = json::array();
    for (const ErrorGroup& g : groups) j["groups"].push_back(GroupJson(g));
    out << PrettyJson(j) << "\n";
    return kExitOk;
  }
  out << report.queue << ": " << report.matched << " message" << (report.matched == 1 ? "" : "s") << " in "
      << groups.size() << " failure group" << (groups.size() == 1 ? "" : "s");
  if (report.examined < report.depth) out << " (first " << report.examined << " of " << report.depth << ")";
  out << "\n";
  if (groups.empty()) return kExitOk;
  std::vector<std::vector<std::string>> rows;
  for (const ErrorGroup& g : groups) {
    rows.push_back({std::to_string(g.count), Display(g.error_class), Display(Joined(g.workers)),
                    Display(Joined(g.event_types)), Display(g.last_dead_lettered_at),
                    Cut(Display(g.error_message), 70)});
  }
  PrintTable(out, {"COUNT", "ERROR CLASS", "WORKER", "EVENT TYPES", "LAST", "ERROR MESSAGE"}, rows, {0});
  return kExitOk;
}

int DlqShow(const Args& args, const Io& io) {
  auto options = SelectionFrom<ShowOptions>(args, "dlq show");
  const bool group = args.Has("group-by");
  if (group && args.Last("group-by") != "error") {
    throw UsageError("--group-by supports 'error' only, got '" + *args.Last("group-by") + "'");
  }
  if (!group && !options.limit) options.limit = kDefaultShowLimit;
  const bool full = args.Has("full");
  ShowReport report = Show(EndpointsFrom(args, io.env), options);
  if (group) return ShowGroups(args, report, io.out);

  if (args.Has("json")) {
    json j = ShownJson(report);
    j["messages"] = json::array();
    for (const DeadLetter& l : report.messages) j["messages"].push_back(LetterJson(l, full));
    io.out << PrettyJson(j) << "\n";
    return kExitOk;
  }
  io.out << report.queue << ": " << report.depth << " message" << (report.depth == 1 ? "" : "s");
  if (!options.filter.Empty()) io.out << ", filter " << options.filter.Describe();
  io.out << ", showing " << report.messages.size();
  if (report.examined < report.depth) io.out << " (stopped after " << report.examined << "; --limit N shows more)";
  io.out << "\n";
  for (std::size_t i = 0; i < report.messages.size(); ++i) {
    io.out << "\n";
    PrintLetter(io.out, i + 1, report.messages[i], full);
  }
  return kExitOk;
}

void ShowOptionsOf(Poco::Util::OptionSet& options) {
  AddFilterOptions(options);
  AddOnce(options, Flag("full"));
  AddOnce(options, Valued("group-by", "FIELD"));
}

}  // namespace

std::vector<Command> DlqInspectCommands() {
  return {
      {.path = {"dlq", "list"}, .help_words = 2, .usage = kListUsage, .run = DlqList},
      {.path = {"dlq", "show"}, .help_words = 2, .usage = kShowUsage, .takes_filters = true, .define = ShowOptionsOf, .run = DlqShow},
  };
}

}  // namespace choreo::admin::cli
