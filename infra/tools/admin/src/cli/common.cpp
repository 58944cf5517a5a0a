// What the commands share: the global options, the broker, the message filters.
#include <cstdlib>

#include "choreo/admin/audit.hpp"
#include "cli/commands.hpp"

namespace choreo::admin::cli {

namespace {

constexpr const char* kDefaultAmqpUrl = "amqp://guest:guest@127.0.0.1:5672/";
constexpr const char* kDefaultMgmtUrl = "http://127.0.0.1:15672";

}  // namespace

std::string Command::Name() const {
  std::string name;
  for (const std::string& word : path) name += (name.empty() ? "" : " ") + word;
  return name;
}

Poco::Util::OptionSet Command::Options() const {
  Poco::Util::OptionSet options;
  AddGlobalOptions(options);
  if (define != nullptr) define(options);
  return options;
}

void AddGlobalOptions(Poco::Util::OptionSet& options) {
  AddOnce(options, Valued("amqp-url", "URL"));
  AddOnce(options, Valued("mgmt-url", "URL"));
  AddOnce(options, Flag("json"));
  AddOnce(options, Flag("help").shortName("h"));
}

Endpoints EndpointsFrom(const Args& args, const CliEnvironment& env) {
  Endpoints e;
  e.amqp_url = args.Last("amqp-url").value_or(!env.amqp_url.empty() ? env.amqp_url : kDefaultAmqpUrl);
  e.mgmt_url = args.Last("mgmt-url").value_or(!env.mgmt_url.empty() ? env.mgmt_url : kDefaultMgmtUrl);
  while (!e.mgmt_url.empty() && e.mgmt_url.back() == '/') e.mgmt_url.pop_back();
  return e;
}

const char* const kFilterUsage =
    R"(Filters (all given filters must match; repeat an option or use commas for alternatives):
  --id ID              message id
  --type TYPE          event type, '*' is a wildcard (order.*)
  --error CLASS        error class (permanent, contract_violation, transient_exhausted,
                       unknown_event, unexpected; broker:delivery_limit for messages the
                       broker dead-lettered because their consumers crashed or timed out)
  --error-message TEXT error message contains TEXT
  --older-than AGE     dead-lettered at least AGE ago (90s, 15m, 2h, 7d, 1h30m)
  --limit N            act on at most N matching messages
)";

void AddFilterOptions(Poco::Util::OptionSet& options) {
  // "error" before "error-message": Poco looks names up by prefix, the exact one first.
  for (const char* name : {"id", "type", "error", "error-message", "older-than"}) {
    AddOnce(options, Valued(name));
  }
  AddOnce(options, Valued("limit", "N"));
}

std::optional<std::size_t> ParseLimit(const Args& args) {
  auto text = args.Last("limit");
  if (!text) return std::nullopt;
  char* end = nullptr;
  long long n = std::strtoll(text->c_str(), &end, 10);
  if (text->empty() || *end != '\0' || n < 1) {
    throw UsageError("--limit needs a whole number of at least 1, got '" + *text + "'");
  }
  return static_cast<std::size_t>(n);
}

Filter ParseFilter(const Args& args) {
  Filter f;
  f.ids = args.List("id");
  f.types = args.List("type");
  f.error_classes = args.List("error");
  if (auto text = args.Last("error-message")) {
    if (text->empty()) throw UsageError("--error-message needs some text");
    f.error_message = *text;
  }
  if (auto text = args.Last("older-than")) {
    f.older_than = ParseDuration(*text);
    if (!f.older_than) {
      throw UsageError("--older-than needs a duration like 90s, 15m, 2h, 7d or 1h30m, got '" + *text + "'");
    }
  }
  return f;
}

std::string QueueArgument(const Args& args, const std::string& command) {
  if (args.positional.size() < 3) throw UsageError("'" + command + "' needs a queue name");
  if (args.positional.size() > 3) {
    throw UsageError("unexpected argument '" + args.positional[3] + "' for '" + command + "'");
  }
  return args.positional[2];
}

void NoMoreArguments(const Args& args, std::size_t count) {
  if (args.positional.size() > count) throw UsageError("unexpected argument '" + args.positional[count] + "'");
}

void AddComponentStoreOptions(Poco::Util::OptionSet& options) {
  for (const char* component : kAuditComponents) AddOnce(options, Valued(std::string(component) + "-store", "URL"));
  AddOnce(options, Valued("var-dir", "DIR"));
}

std::map<std::string, std::string> ComponentStores(const Args& args, const CliEnvironment& env,
                                                   const std::string& command) {
  const std::string var_dir = args.Last("var-dir").value_or(env.var_dir);
  if (args.Has("var-dir") && var_dir.empty()) throw UsageError("--var-dir needs a directory");
  std::map<std::string, std::string> stores;
  for (const char* component : kAuditComponents) {
    const std::string flag = std::string(component) + "-store";
    auto recorded = env.recorded_stores.find(component);
    std::string url = args.Last(flag).value_or(
        recorded != env.recorded_stores.end() ? recorded->second : DefaultStoreUrl(var_dir, component));
    if (url.empty()) throw UsageError("--" + flag + " needs a URL (or 'none')");
    if (url != "none") stores[component] = url;
  }
  if (stores.empty()) throw UsageError("every store is left out ('none'): nothing to " + command);
  return stores;
}

}  // namespace choreo::admin::cli
