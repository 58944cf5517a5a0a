#pragma once
// The commands of choreo-admin, one group per file (dlq, outbox, audit, topology), and
// what they share: the broker options, the message filters, argument checks.
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <Poco/Util/OptionSet.h>
#include <nlohmann/json.hpp>

#include "choreo/admin/admin.hpp"
#include "choreo/admin/cli.hpp"
#include "cli/args.hpp"

namespace choreo::admin::cli {

struct Io {
  const CliEnvironment& env;
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
};

struct Command {
  std::vector<std::string> path;  // {"dlq", "show"}
  // Words that select this command's --help: 2 for "dlq show --help"; 1 when the first
  // word alone names it ("outbox --help").
  std::size_t help_words = 1;
  const char* usage = "";
  bool takes_filters = false;  // --help appends kFilterUsage
  // The command's own options; the global ones (GlobalOptions) come on top.
  void (*define)(Poco::Util::OptionSet& options) = nullptr;
  int (*run)(const Args& args, const Io& io) = nullptr;

  std::string Name() const;               // "dlq show"
  Poco::Util::OptionSet Options() const;  // global + own
};

// In the order of the main usage.
std::vector<Command> DlqInspectCommands();  // dlq list, dlq show
std::vector<Command> DlqRepairCommands();   // dlq replay, dlq purge
Command OutboxStatusCommand();
Command AuditCommand();
Command TopologyApplyCommand();
Command TraceCommand();

Command ConsoleCommand();

// What `outbox status --json` prints for one store (and the console's API).
nlohmann::json OutboxJson(const OutboxReport& report);

// --amqp-url, --mgmt-url, --json, --help: taken by every command.
void AddGlobalOptions(Poco::Util::OptionSet& options);
// The broker from --amqp-url / --mgmt-url, else the environment, else the defaults.
Endpoints EndpointsFrom(const Args& args, const CliEnvironment& env);

// The message filters of dlq show, replay and purge (--id, --type, ..., --limit).
extern const char* const kFilterUsage;
void AddFilterOptions(Poco::Util::OptionSet& options);
Filter ParseFilter(const Args& args);
std::optional<std::size_t> ParseLimit(const Args& args);

// The queue of "dlq <subcommand> <queue>"; UsageError when missing or followed by more.
std::string QueueArgument(const Args& args, const std::string& command);
// The queue, the filters and the limit of "dlq show|replay|purge <queue> [filters]", in
// the options of that command (ShowOptions, ReplayOptions, PurgeOptions).
template <class Options>
Options SelectionFrom(const Args& args, const std::string& command) {
  Options options;
  options.queue = QueueArgument(args, command);
  options.filter = ParseFilter(args);
  options.limit = ParseLimit(args);
  return options;
}

// --<component>-store URL for every component (kAuditComponents) and --var-dir DIR.
void AddComponentStoreOptions(Poco::Util::OptionSet& options);
// The store of each component: its flag, else what infra/up recorded, else the default
// SQLite file under the var dir. 'none' leaves a component out; UsageError when all are
// (naming `command`).
std::map<std::string, std::string> ComponentStores(const Args& args, const CliEnvironment& env,
                                                   const std::string& command);

// UsageError when more than `count` words were given.
void NoMoreArguments(const Args& args, std::size_t count);

}  // namespace choreo::admin::cli
