// RunCli: splits the words (cli/args.hpp), finds the command (cli/commands.hpp), turns
// errors into exit codes. Each command group lives in its own file under cli/.
#include "choreo/admin/cli.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ostream>

#include "choreo/admin/admin.hpp"
#include "choreo/admin/run_record.hpp"
#include "cli/commands.hpp"
#include "text.hpp"

namespace choreo::admin {

namespace {

using nlohmann::json;

constexpr const char* kMainUsage = R"(choreo-admin - inspect and repair choreo's messaging

Usage:
  choreo-admin dlq list                      every dead-letter queue, its depth, oldest age
  choreo-admin dlq show <queue>              the messages of a DLQ and why they failed
  choreo-admin dlq replay <queue>            send dead letters back where they came from
  choreo-admin dlq purge <queue>             delete dead letters (asks first)
  choreo-admin outbox status [--store URL]   pending outbox rows, oldest age, last sent
  choreo-admin audit                         check every store against the delivery guarantees
  choreo-admin trace <order-id>              one order's messages across every component, in order
  choreo-admin topology apply                declare every exchange and queue, set the policies
  choreo-admin console [--port N]            the web console (http://127.0.0.1:8070/)

Options for every command:
  --amqp-url URL   broker (env CHOREO_AMQP_URL, default amqp://guest:guest@127.0.0.1:5672/)
  --mgmt-url URL   management API for listing and policies (env CHOREO_MGMT_URL, default
                   http://127.0.0.1:15672; credentials are those of the AMQP URL)
  --json           machine-readable output on stdout
  -h, --help       help for the command

When neither a flag nor the environment names the broker, the management API or the
stores, they come from what infra/up recorded in <var dir>/run/record (CHOREO_VAR_DIR,
default var; --var-dir for audit), so the running profile needs no URL typed.

Exit codes: 0 success, 1 failure or partial failure (some messages not replayed, broker
unreachable, audit violations), 2 usage error (bad arguments, unknown queue or vhost).
Run 'choreo-admin <command> <subcommand> --help' for details.
)";

std::vector<cli::Command> AllCommands() {
  std::vector<cli::Command> all = cli::DlqInspectCommands();
  for (cli::Command& c : cli::DlqRepairCommands()) all.push_back(std::move(c));
  all.push_back(cli::OutboxStatusCommand());
  all.push_back(cli::AuditCommand());
  all.push_back(cli::TopologyApplyCommand());
  all.push_back(cli::TraceCommand());
  all.push_back(cli::ConsoleCommand());
  return all;
}

// Every option of every command: enough to tell option values from the command's words.
Poco::Util::OptionSet EveryOption(const std::vector<cli::Command>& commands) {
  Poco::Util::OptionSet all;
  cli::AddGlobalOptions(all);
  for (const cli::Command& c : commands) {
    if (c.define != nullptr) c.define(all);
  }
  return all;
}

// The command whose --help the words ask for; nullptr: the main usage.
const cli::Command* HelpTarget(const std::vector<cli::Command>& commands, const std::vector<std::string>& words) {
  for (const cli::Command& c : commands) {
    if (words.size() < c.help_words) continue;
    if (std::equal(c.path.begin(), c.path.begin() + static_cast<std::ptrdiff_t>(c.help_words), words.begin())) {
      return &c;
    }
  }
  return nullptr;
}

std::string Alternatives(const std::vector<const cli::Command*>& group, const std::string& last_separator) {
  std::string text;
  for (std::size_t i = 0; i < group.size(); ++i) {
    text += (i == 0 ? "" : (i + 1 == group.size() ? last_separator : ", ")) + group[i]->path[1];
  }
  return text;
}

// The command the words name; UsageError saying what exists when they name none.
const cli::Command& Find(const std::vector<cli::Command>& commands, const std::vector<std::string>& words) {
  std::vector<const cli::Command*> group;
  std::string groups;
  for (const cli::Command& c : commands) {
    if (c.path[0] == words[0]) group.push_back(&c);
    if (groups.find(c.path[0]) == std::string::npos) groups += (groups.empty() ? "" : ", ") + c.path[0];
  }
  if (group.empty()) throw UsageError("unknown command '" + words[0] + "' (" + groups + ")");
  if (group.front()->path.size() == 1) return *group.front();
  for (const cli::Command* c : group) {
    if (words.size() >= 2 && c->path[1] == words[1]) return *c;
  }
  if (group.size() == 1) throw UsageError("'" + words[0] + "' has one subcommand: " + group.front()->path[1]);
  if (words.size() < 2) throw UsageError("'" + words[0] + "' needs a subcommand: " + Alternatives(group, " or "));
  throw UsageError("unknown command '" + words[0] + " " + words[1] + "' (" + Alternatives(group, ", ") + ")");
}

int Help(const std::vector<cli::Command>& commands, const cli::Args& args, std::ostream& out, std::ostream& err) {
  if (args.positional.empty() && !args.Has("help")) {
    err << kMainUsage;
    return kExitUsage;
  }
  const cli::Command* command = HelpTarget(commands, args.positional);
  if (command == nullptr) {
    out << kMainUsage;
    return kExitOk;
  }
  out << command->usage;
  if (command->takes_filters) out << "\n" << cli::kFilterUsage;
  return kExitOk;
}

}  // namespace

CliEnvironment CliEnvironment::FromProcess() {
  CliEnvironment env;
  auto get = [](const char* name) {
    const char* v = std::getenv(name);
    return v == nullptr ? std::string() : std::string(v);
  };
  env.amqp_url = get("CHOREO_AMQP_URL");
  env.mgmt_url = get("CHOREO_MGMT_URL");
  env.store_url = get("CHOREO_STORE_URL");
  env.var_dir = get("CHOREO_VAR_DIR");
  env.catalog = get("CHOREO_CATALOG");
  env.delivery_limit = get("CHOREO_DELIVERY_LIMIT");
  env.stderr_is_tty = ::isatty(STDERR_FILENO) == 1;
  return env;
}

int RunCli(const std::vector<std::string>& words, const CliEnvironment& given, std::istream& in, std::ostream& out,
           std::ostream& err) {
  bool json_out = false;
  try {
    const std::vector<cli::Command> commands = AllCommands();
    const Poco::Util::OptionSet every_option = EveryOption(commands);
    cli::Args args = cli::Parse(words, every_option);
    json_out = args.Has("json");
    if (args.Has("help") || args.positional.empty()) return Help(commands, args, out, err);

    const cli::Command& command = Find(commands, args.positional);
    // Again with only the options this command takes.
    args = cli::Parse(words, command.Options(), &every_option, command.Name());
    CliEnvironment env = given;
    if (auto record = ReadRunRecord(RunRecordPath(args.Last("var-dir").value_or(given.var_dir)))) {
      FillFromRunRecord(env, *record);
    }
    return command.run(args, cli::Io{env, in, out, err});
  } catch (const UsageError& e) {
    err << "choreo-admin: " << e.what() << "\n";
    err << "Run 'choreo-admin --help' (or '<command> --help') for usage.\n";
    if (json_out) out << PrettyJson(json{{"error", e.what()}, {"exit_code", kExitUsage}}) << "\n";
    return kExitUsage;
  } catch (const CommandError& e) {
    err << "choreo-admin: error: " << e.what() << "\n";
    if (json_out) out << PrettyJson(json{{"error", e.what()}, {"exit_code", kExitFailure}}) << "\n";
    return kExitFailure;
  }
}

}  // namespace choreo::admin
