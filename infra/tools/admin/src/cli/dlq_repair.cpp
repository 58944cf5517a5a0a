// dlq replay and dlq purge: the two commands that remove dead letters.
#include <algorithm>
#include <cstdlib>
#include <iomanip>
#include <istream>
#include <ostream>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/dlq_render.hpp"
#include "text.hpp"

namespace choreo::admin::cli {

namespace {

using nlohmann::json;
using std::chrono::milliseconds;

constexpr const char* kReplayUsage =
    R"(Usage: choreo-admin dlq replay <queue> [filters] [--dry-run] [--rate N] [--to-queue] [--json]

Publishes dead letters again to their original exchange and routing key (from the
x-choreo-original-* headers the worker runtime wrote, else from the broker's x-death) and
removes them from the DLQ. Each message is published with publisher confirms and
`mandatory`; its DLQ copy is acked only after the broker confirmed the new copy. A message
that cannot be published (unroutable, refused, connection lost) stays in the DLQ. The new
copy keeps its message id - consumers' inboxes drop anything already applied - and
records the replay in x-choreo-replay-count, x-choreo-replayed-at, x-choreo-replayed-by;
the broker's x-death history is removed so the retry budget starts afresh.

  --dry-run    list what would be replayed; publish and remove nothing
  --rate N     at most N messages per second
  --to-queue   publish to the original work queue only (default exchange, routing key =
               x-choreo-original-queue or the DLQ name without .dlq) instead of the
               original exchange, so other subscribers of the event are not involved
  --verbose    one line per replayed message (failures are always listed)
  --quiet      no progress line
Exit code 1 if any selected message could not be replayed.
)";

constexpr const char* kPurgeUsage = R"(Usage: choreo-admin dlq purge <queue> [filters] [--yes] [--dry-run] [--json]

Deletes dead letters for good: all of them, or those matching the filters (the others
stay, in their order). Counts the messages first and asks for confirmation unless --yes.

  --yes        do not ask
  --dry-run    list what would be purged; delete nothing
)";

// Progress on stderr for runs longer than a second: redrawn in place on a terminal, one
// line every 5 s otherwise.
class ProgressLine {
 public:
  ProgressLine(std::ostream& err, bool tty, bool enabled, std::string what)
      : err_(err), tty_(tty), enabled_(enabled), what_(std::move(what)) {}
  ~ProgressLine() { Done(); }

  void Update(const Progress& p) {
    if (!enabled_) return;
    const milliseconds every = tty_ ? milliseconds(500) : milliseconds(5000);
    if (p.elapsed < milliseconds(1000) || p.elapsed - last_ < every) return;
    last_ = p.elapsed;
    const double seconds = static_cast<double>(p.elapsed.count()) / 1000.0;
    std::ostringstream line;
    line << what_ << ": " << p.examined << "/" << p.depth << " examined, " << p.done << " done, " << p.skipped
         << " skipped, " << p.failed << " failed, " << std::fixed << std::setprecision(0)
         << (seconds > 0 ? static_cast<double>(p.done) / seconds : 0.0) << " msg/s";
    if (tty_) {
      err_ << "\r" << Pad(line.str(), width_) << std::flush;
      width_ = std::max(width_, line.str().size());
      drawn_ = true;
    } else {
      err_ << line.str() << "\n" << std::flush;
    }
  }
  void Done() {
    if (drawn_) err_ << "\n" << std::flush;
    drawn_ = false;
  }

 private:
  std::ostream& err_;
  bool tty_;
  bool enabled_;
  std::string what_;
  milliseconds last_{0};
  std::size_t width_ = 0;
  bool drawn_ = false;
};

std::optional<double> ParseRate(const Args& args) {
  auto rate = args.Last("rate");
  if (!rate) return std::nullopt;
  char* end = nullptr;
  double r = std::strtod(rate->c_str(), &end);
  if (rate->empty() || *end != '\0' || !(r > 0)) {
    throw UsageError("--rate needs a positive number of messages per second, got '" + *rate + "'");
  }
  return r;
}

int DlqReplay(const Args& args, const Io& io) {
  auto options = SelectionFrom<ReplayOptions>(args, "dlq replay");
  options.dry_run = args.Has("dry-run");
  options.to_queue = args.Has("to-queue");
  options.rate = ParseRate(args);
  ProgressLine progress(io.err, io.env.stderr_is_tty, !args.Has("quiet"),
                        std::string(options.dry_run ? "dry run " : "replay ") + options.queue);
  options.on_progress = [&](const Progress& p) { progress.Update(p); };
  ReplayReport report = Replay(EndpointsFrom(args, io.env), options);
  progress.Done();

  const int code = report.failed > 0 || !report.error.empty() ? kExitFailure : kExitOk;
  if (args.Has("json")) {
    io.out << PrettyJson(ReplayJson(report, options.filter.Describe())) << "\n";
    return code;
  }
  if (report.dry_run) io.out << "DRY RUN: nothing is published or removed.\n";
  std::vector<std::vector<std::string>> rows;
  for (const MessageOutcome& o : report.messages) {
    if (o.action == Action::kReplayed && !args.Has("verbose")) continue;
    rows.push_back({ToString(o.action), Display(o.message_id), Display(o.event_type), Display(o.error_class),
                    o.action == Action::kFailed ? o.reason : "-> " + Destination(o.exchange, o.routing_key)});
  }
  if (!rows.empty()) PrintTable(io.out, {"ACTION", "MESSAGE ID", "TYPE", "ERROR CLASS", "TARGET / REASON"}, rows);
  std::ostringstream summary;
  summary << report.queue << ": " << (report.dry_run ? "would replay " : "replayed ") << report.replayed << ", skipped "
          << report.skipped << ", failed " << report.failed << " (examined " << report.examined << " of "
          << report.depth;
  if (!options.filter.Empty()) summary << "; filter " << options.filter.Describe();
  if (options.limit) summary << "; limit " << *options.limit;
  if (report.reconnects > 0)
    summary << "; " << report.reconnects << " reconnect" << (report.reconnects == 1 ? "" : "s");
  if (report.late_acks > 0) summary << "; " << report.late_acks << " late ack" << (report.late_acks == 1 ? "" : "s");
  summary << ") in " << std::fixed << std::setprecision(1) << static_cast<double>(report.elapsed.count()) / 1000.0
          << " s";
  io.out << summary.str() << "\n";
  if (report.failed > 0) io.out << "Messages that failed are still in " << report.queue << ".\n";
  if (!report.error.empty()) {
    io.err << "choreo-admin: replay stopped early: " << report.error
           << "\n(every message not reported as replayed is still in the DLQ)\n";
  }
  return code;
}

bool Confirm(std::istream& in, std::ostream& err, const std::string& question) {
  err << question << " Type 'yes' to continue: " << std::flush;
  std::string answer;
  if (!std::getline(in, answer)) {
    err << "\n";
    return false;
  }
  return answer == "yes" || answer == "y";
}

// Counts what a purge would delete and asks. The exit code when there is nothing to do
// (nothing matches, or the operator says no); nullopt to go ahead.
std::optional<int> ConfirmPurge(const Endpoints& endpoints, const PurgeOptions& options, bool json_out, const Io& io) {
  PurgeOptions count = options;
  count.dry_run = true;
  PurgeReport preview = Purge(endpoints, count);
  if (preview.purged == 0) {
    if (json_out) {
      io.out << PrettyJson(json{{"queue", options.queue}, {"purged", 0}, {"kept", preview.kept}}) << "\n";
    } else {
      io.out << options.queue << ": nothing matches; nothing purged\n";
    }
    return kExitOk;
  }
  std::ostringstream question;
  question << "Purge " << preview.purged << " of " << preview.depth << " message" << (preview.depth == 1 ? "" : "s")
           << " from " << options.queue;
  if (!options.filter.Empty()) question << " (filter " << options.filter.Describe() << ")";
  question << "? They are deleted for good.";
  if (!Confirm(io.in, io.err, question.str())) {
    io.err << "choreo-admin: aborted; nothing purged (use --yes to skip this question)\n";
    return kExitFailure;
  }
  return std::nullopt;
}

int DlqPurge(const Args& args, const Io& io) {
  auto options = SelectionFrom<PurgeOptions>(args, "dlq purge");
  options.dry_run = args.Has("dry-run");
  const Endpoints endpoints = EndpointsFrom(args, io.env);
  const bool json_out = args.Has("json");
  if (!options.dry_run && !args.Has("yes")) {
    if (std::optional<int> done = ConfirmPurge(endpoints, options, json_out, io)) return *done;
  }

  PurgeReport report = Purge(endpoints, options);
  const int code = report.error.empty() ? kExitOk : kExitFailure;
  if (json_out) {
    json j;
    j["kept"] = report.kept;
    AddPassJson(j, {report.queue, report.dry_run, report.depth, report.examined, "purged", "would_purge", report.purged,
                    options.filter.Describe(), report.error, &report.messages});
    io.out << PrettyJson(j) << "\n";
    return code;
  }
  if (report.dry_run) {
    io.out << "DRY RUN: nothing is removed.\n";
    std::vector<std::vector<std::string>> rows;
    for (const MessageOutcome& o : report.messages) {
      rows.push_back({ToString(o.action), Display(o.message_id), Display(o.event_type), Display(o.error_class)});
    }
    if (!rows.empty()) PrintTable(io.out, {"ACTION", "MESSAGE ID", "TYPE", "ERROR CLASS"}, rows);
  }
  io.out << report.queue << ": " << (report.dry_run ? "would purge " : "purged ") << report.purged << ", kept "
         << report.kept << " (examined " << report.examined << " of " << report.depth << ")\n";
  if (!report.error.empty()) io.err << "choreo-admin: purge stopped early: " << report.error << "\n";
  return code;
}

void ReplayOptionsOf(Poco::Util::OptionSet& options) {
  AddFilterOptions(options);
  for (const char* flag : {"dry-run", "to-queue", "quiet", "verbose"}) AddOnce(options, Flag(flag));
  AddOnce(options, Valued("rate", "N"));
}

void PurgeOptionsOf(Poco::Util::OptionSet& options) {
  AddFilterOptions(options);
  for (const char* flag : {"yes", "dry-run"}) AddOnce(options, Flag(flag));
}

}  // namespace

std::vector<Command> DlqRepairCommands() {
  return {
      {.path = {"dlq", "replay"}, .help_words = 2, .usage = kReplayUsage, .takes_filters = true, .define = ReplayOptionsOf, .run = DlqReplay},
      {.path = {"dlq", "purge"},  .help_words = 2, .usage = kPurgeUsage,  .takes_filters = true, .define = PurgeOptionsOf,  .run = DlqPurge},
  };
}

}  // namespace choreo::admin::cli
