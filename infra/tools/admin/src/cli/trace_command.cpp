// trace: one order's timeline across every component (choreo/admin/timeline.hpp).
#include <ostream>

#include "choreo/admin/timeline.hpp"
#include "cli/commands.hpp"
#include "text.hpp"

namespace choreo::admin::cli {

namespace {

constexpr const char* kTraceUsage =
    R"(Usage: choreo-admin trace <order-id> [--var-dir DIR] [--<component>-store URL ...] [--no-broker] [--json]

Every message of one order in time order (causes before their effects) across all
components: event type, producer, each consumer, when published and handled, the latency
between them, retries, replays, dead letters (with their reason) and the order's state.
Read from the components' outbox and inbox rows and the order worker's state, and from the
dead-letter queues (looked at, never taken); not from logs.

  --gateway-store URL  --order-store URL  --inventory-store URL  --payment-store URL
  --shipping-store URL  --notification-store URL
  each defaults to the store infra/up recorded in <var dir>/run/record, else
  sqlite:<var dir>/data/<component>.db; 'none' leaves one out
  --var-dir DIR     (env CHOREO_VAR_DIR, default var)
  --no-broker       do not read the dead-letter queues

A consumer's outcome: handled; dead_lettered (in its DLQ now); pending (not handled yet:
queued, waiting in a retry queue, or lost); unknown (its store was not read).
Exit code 0 when the order was found, 1 when no store knows it or a store could not be
read.
)";

int TraceRun(const Args& args, const Io& io) {
  if (args.positional.size() < 2 || args.positional[1].empty()) throw UsageError("trace needs an order id");
  NoMoreArguments(args, 2);
  const std::string& order_id = args.positional[1];
  std::optional<Endpoints> broker;
  if (!args.Has("no-broker")) broker = EndpointsFrom(args, io.env);
  const Timeline timeline = BuildTimeline(ReadTimelineFacts(ComponentStores(args, io.env, "trace"), broker, order_id));
  if (args.Has("json")) {
    io.out << PrettyJson(TimelineJson(timeline)) << "\n";
  } else {
    WriteTimelineText(io.out, timeline);
  }
  const bool found = !timeline.messages.empty() || !timeline.status.empty();
  if (!found) io.err << "no store read knows order " << order_id << "\n";
  return found && timeline.problems.empty() ? kExitOk : kExitFailure;
}

void TraceOptions(Poco::Util::OptionSet& options) {
  AddComponentStoreOptions(options);
  AddOnce(options, Flag("no-broker"));
}

}  // namespace

Command TraceCommand() { return {.path = {"trace"}, .usage = kTraceUsage, .define = TraceOptions, .run = TraceRun}; }

}  // namespace choreo::admin::cli
