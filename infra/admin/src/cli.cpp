#include "choreo/admin/cli.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "choreo/admin/admin.hpp"
#include "choreo/admin/audit.hpp"
#include "choreo/admin/run_record.hpp"
#include "choreo/admin/topology.hpp"

namespace choreo::admin {

namespace {

using nlohmann::json;
using std::chrono::milliseconds;

constexpr const char* kDefaultAmqpUrl = "amqp://guest:guest@127.0.0.1:5672/";
constexpr const char* kDefaultMgmtUrl = "http://127.0.0.1:15672";
constexpr std::size_t kBodyPreviewChars = 600;
constexpr std::size_t kDefaultShowLimit = 50;
constexpr std::string_view kDefaultCatalogPath = "infra/catalog.json";

// ---------------------------------------------------------------------------------------
// Usage texts

constexpr const char* kMainUsage = R"(choreo-admin - inspect and repair choreo's messaging

Usage:
  choreo-admin dlq list                      every dead-letter queue, its depth, oldest age
  choreo-admin dlq show <queue>              the messages of a DLQ and why they failed
  choreo-admin dlq replay <queue>            send dead letters back where they came from
  choreo-admin dlq purge <queue>             delete dead letters (asks first)
  choreo-admin outbox status [--store URL]   pending outbox rows, oldest age, last sent
  choreo-admin audit                         check every store against the delivery guarantees
  choreo-admin topology apply                declare every exchange and queue, set the policies

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

constexpr const char* kFilterUsage = R"(Filters (all given filters must match; repeat an option or use commas for alternatives):
  --id ID              message id
  --type TYPE          event type, '*' is a wildcard (order.*)
  --error CLASS        error class (permanent, contract_violation, transient_exhausted,
                       unknown_event, unexpected; broker:delivery_limit for messages the
                       broker dead-lettered because their consumers crashed or timed out)
  --error-message TEXT error message contains TEXT
  --older-than AGE     dead-lettered at least AGE ago (90s, 15m, 2h, 7d, 1h30m)
  --limit N            act on at most N matching messages
)";

constexpr const char* kListUsage = R"(Usage: choreo-admin dlq list [--json]

Lists every queue whose name ends in .dlq in the vhost of the AMQP URL, with its depth
(ready messages) and the age of its oldest message (when it was dead-lettered). Names come
from the management API; if that cannot be reached, the dead-letter queues of the choreo
topology are listed instead (with a warning). Nothing is removed or reordered.
)";

constexpr const char* kShowUsage = R"(Usage: choreo-admin dlq show <queue> [--limit N] [--full] [--group-by error] [filters] [--json]

Prints each message: message id, event type, correlation id, error class and message,
worker, original exchange and routing key, attempts, when it was dead-lettered, replay
history and the body (pretty JSON, cut at 600 characters unless --full). Shows at most 50
messages unless --limit says otherwise. Messages are looked at and given back in their
order: show never removes anything.

  --group-by error   one line per (error class, error message) with counts, like a
                     failure-group view; reads the whole queue unless --limit is given
  --full             whole bodies
)";

constexpr const char* kReplayUsage = R"(Usage: choreo-admin dlq replay <queue> [filters] [--dry-run] [--rate N] [--to-queue] [--json]

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

constexpr const char* kTopologyUsage = R"(Usage: choreo-admin topology apply [--delivery-limit N] [--json]

Declares every exchange, queue and binding of the choreo topology on the vhost of the AMQP
URL (as every component does when it connects), then sets choreo's policies through the
management API, so that queues that already exist get them too:
  choreo-work-queues         the work queues: delivery-limit N. A message delivered N + 1
                             times without an ack (its consumer crashed or timed out each
                             time) goes to <queue>.dlq instead of crashing consumers forever
  choreo-dead-letter-queues  the .dlq queues: a delivery limit no inspection reaches, so that
                             'dlq show' can never make the broker drop a dead letter
Idempotent: run it again, it changes only what differs. infra/up runs it before the
components start.

  --delivery-limit N  deliveries without an ack before a work queue dead-letters a message
                      (env CHOREO_DELIVERY_LIMIT, default 50)
)";

constexpr const char* kOutboxUsage = R"(Usage: choreo-admin outbox status [--store URL | --component NAME] [--json]

Pending outbox rows of one component's store, rows that failed at least once, the age of
the oldest pending row and when the last row was sent. Without --store and
CHOREO_STORE_URL: the store infra/up recorded for --component, or every recorded store.

  --store URL       sqlite:PATH or postgresql://user@host:port/db (env CHOREO_STORE_URL)
  --component NAME  gateway, order, inventory, payment, shipping, notification, provider
)";

constexpr const char* kAuditUsage = R"(Usage: choreo-admin audit [--var-dir DIR] [--<component>-store URL ...] [--catalog PATH]
                          [--allow-in-flight[=AGE]] [--no-broker] [--fail-on-dlq] [--verbose] [--json]

Checks the delivery guarantees (docs/architecture.md) across every component's store, the
provider stand-in's ledger and the dead-letter queues:
  orders.known        every order the gateway accepted is known to the order worker
  orders.terminal     ... and is CONFIRMED or CANCELLED
  orders.accepted     no state, charge, refund or e-mail for an order never accepted
  confirmed.payment   a CONFIRMED order has exactly one capture (of its total), no refund
  confirmed.shipment  ... one scheduled shipment
  confirmed.email     ... exactly one confirmation e-mail (and no cancellation e-mail)
  cancelled.payment   a CANCELLED order has no net charge: each capture refunded once, in full
  cancelled.email     ... exactly one cancellation e-mail (and no confirmation e-mail)
  effects.in_flight   orders not yet terminal have no duplicated capture, refund or e-mail
  stock.conserved     per SKU: catalog stock = available + reserved + sold
  stock.sold          per SKU: sold = quantities of committed reservations
  stock.reserved      per SKU: reserved = quantities of held reservations
  reservations.state  no reservation both committed and released; each agrees with its
                      order (confirmed -> committed, cancelled -> released) and shipment
  ledger.agreement    payment and notification records match the provider's ledger
  outbox.drained      no pending outbox row in any store
  dlq.empty           every dead-lettered message, listed with its reason (a warning;
                      a violation with --fail-on-dlq)
Prints one line per check (OK / VIOLATION with counts and the first offending order ids,
WARNING, SKIPPED), the dead letters and a summary of totals.

Stores (sqlite:PATH or postgresql://user@host:port/db; "none" leaves a component out and
skips the checks that need it):
  --gateway-store URL  --order-store URL  --inventory-store URL  --payment-store URL
  --shipping-store URL  --notification-store URL  --provider-store URL
  each defaults to the store infra/up recorded in <var dir>/run/record, else
  sqlite:<var dir>/data/<component>.db
  --var-dir DIR        the var dir of infra/up (env CHOREO_VAR_DIR, default var)
  --catalog PATH       initial stock (env CHOREO_CATALOG, default infra/catalog.json when it
                       exists); "none": take inventory_stock.total as the initial stock

  --allow-in-flight[=AGE]  the system may still be running: orders younger than AGE
                       (default 5m) may be unfinished and outbox rows younger than AGE
                       pending. Duplicated effects are violations whatever the age.
  --no-broker          do not read the dead-letter queues
  --fail-on-dlq        a dead-lettered message is a violation
  --verbose            every offender on its own line, every dead letter
Broker options as for the dlq commands; a broker that cannot be reached is a warning.
Exit code 0 when every check holds, 1 on any violation (or an unreadable store), 2 on
usage errors.
)";

// ---------------------------------------------------------------------------------------
// Arguments

struct OptionSpec {
  const char* name;
  bool takes_value;
  bool optional_value = false;  // --name or --name=VALUE (never the next word)
};

// Every option of every command, for splitting the words; each command then says which
// of them it accepts.
constexpr OptionSpec kOptions[] = {
    {"amqp-url", true}, {"mgmt-url", true},   {"json", false},       {"help", false},
    {"limit", true},    {"full", false},      {"group-by", true},    {"id", true},
    {"type", true},     {"error", true},      {"error-message", true}, {"older-than", true},
    {"dry-run", false}, {"rate", true},       {"to-queue", false},   {"quiet", false},
    {"verbose", false}, {"yes", false},       {"store", true},
    {"gateway-store", true}, {"order-store", true}, {"inventory-store", true},
    {"payment-store", true}, {"shipping-store", true}, {"notification-store", true},
    {"provider-store", true}, {"var-dir", true}, {"catalog", true},
    {"allow-in-flight", false, true}, {"no-broker", false}, {"fail-on-dlq", false},
    {"delivery-limit", true}, {"component", true},
};

const OptionSpec* FindOption(std::string_view name) {
  for (const OptionSpec& o : kOptions) {
    if (name == o.name) return &o;
  }
  return nullptr;
}

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> values;  // flags get "true"

  bool Has(const std::string& name) const { return values.count(name) != 0; }
  std::optional<std::string> Last(const std::string& name) const {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second.back();
  }
  // Repeated options and comma-separated values, in order.
  std::vector<std::string> List(const std::string& name) const {
    std::vector<std::string> out;
    auto it = values.find(name);
    if (it == values.end()) return out;
    for (const std::string& v : it->second) {
      std::stringstream in(v);
      std::string part;
      while (std::getline(in, part, ',')) {
        if (!part.empty()) out.push_back(part);
      }
    }
    return out;
  }
};

Args Split(const std::vector<std::string>& words) {
  Args args;
  bool options_done = false;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (options_done || w.size() < 2 || w[0] != '-') {
      args.positional.push_back(w);
      continue;
    }
    if (w == "--") {
      options_done = true;
      continue;
    }
    if (w == "-h") {
      args.values["help"].push_back("true");
      continue;
    }
    if (w.rfind("--", 0) != 0) throw UsageError("unknown option '" + w + "'");
    std::string name = w.substr(2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const OptionSpec* spec = FindOption(name);
    if (spec == nullptr) throw UsageError("unknown option '--" + name + "'");
    if (spec->optional_value) {
      args.values[name].push_back(value.value_or(""));
    } else if (spec->takes_value) {
      if (!value) {
        if (i + 1 >= words.size()) throw UsageError("option --" + name + " needs a value");
        value = words[++i];
      }
      args.values[name].push_back(*value);
    } else {
      if (value) throw UsageError("option --" + name + " takes no value");
      args.values[name].push_back("true");
    }
  }
  return args;
}

void Allow(const Args& args, const std::string& command, std::set<std::string> allowed) {
  for (const char* global : {"amqp-url", "mgmt-url", "json", "help"}) allowed.insert(global);
  for (const auto& [name, values] : args.values) {
    if (allowed.count(name) == 0) {
      throw UsageError("option --" + name + " does not apply to '" + command + "'");
    }
  }
}

const std::set<std::string> kFilterOptions = {"id", "type", "error", "error-message",
                                              "older-than", "limit"};

std::set<std::string> With(std::set<std::string> a, std::initializer_list<const char*> more) {
  for (const char* m : more) a.insert(m);
  return a;
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
      throw UsageError("--older-than needs a duration like 90s, 15m, 2h, 7d or 1h30m, got '" +
                       *text + "'");
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

// ---------------------------------------------------------------------------------------
// Output helpers

std::string Pad(const std::string& text, std::size_t width) {
  return text.size() >= width ? text : text + std::string(width - text.size(), ' ');
}

std::string Cut(const std::string& text, std::size_t width) {
  std::string one_line = text;
  std::replace(one_line.begin(), one_line.end(), '\n', ' ');
  if (one_line.size() <= width) return one_line;
  return one_line.substr(0, width > 3 ? width - 3 : 0) + "...";
}

void PrintTable(std::ostream& out, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows,
                const std::set<std::size_t>& right_aligned = {}) {
  std::vector<std::size_t> widths(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) widths[c] = header[c].size();
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size() && c < widths.size(); ++c) {
      widths[c] = std::max(widths[c], row[c].size());
    }
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const bool last = c + 1 == cells.size();
      std::string cell = cells[c];
      if (right_aligned.count(c)) {
        cell = std::string(widths[c] - std::min(widths[c], cell.size()), ' ') + cell;
      } else if (!last) {
        cell = Pad(cell, widths[c]);
      }
      text += cell;
      if (!last) text += "  ";
    }
    out << text << "\n";
  };
  line(header);
  for (const auto& row : rows) line(row);
}

std::string Display(const std::string& text) { return text.empty() ? "-" : text; }

std::string Destination(const std::string& exchange, const std::string& routing_key) {
  return (exchange.empty() ? "(default exchange)" : exchange) + " / " + routing_key;
}

std::string AgeSince(const std::optional<contracts::Millis>& at) {
  if (!at) return "";
  auto now = std::chrono::time_point_cast<milliseconds>(std::chrono::system_clock::now());
  return FormatAge(std::chrono::duration_cast<milliseconds>(now - *at)) + " ago";
}

// Pretty JSON when the body is JSON, otherwise the text with control bytes escaped.
std::string RenderBody(const std::string& body, bool* is_json) {
  json parsed = json::parse(body, nullptr, false);
  if (!parsed.is_discarded()) {
    *is_json = true;
    return parsed.dump(2, ' ', false, json::error_handler_t::replace);
  }
  *is_json = false;
  std::ostringstream out;
  for (unsigned char c : body) {
    if (c == '\n' || c == '\t' || (c >= 0x20 && c != 0x7f)) {
      out << c;
    } else {
      out << "\\x" << std::hex << std::setw(2) << std::setfill('0') << static_cast<int>(c)
          << std::dec;
    }
  }
  return out.str();
}

json HeadersJson(const amqp::FieldTable& table);

json FieldJson(const amqp::FieldValue& value) {
  return std::visit(
      [](const auto& v) -> json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return nullptr;
        } else if constexpr (std::is_same_v<T, amqp::Timestamp>) {
          return contracts::FormatRfc3339(v);
        } else if constexpr (std::is_same_v<T, amqp::FieldArray>) {
          json a = json::array();
          for (const auto& e : v) a.push_back(FieldJson(e));
          return a;
        } else if constexpr (std::is_same_v<T, amqp::FieldTable>) {
          return HeadersJson(v);
        } else {
          return v;
        }
      },
      value.Value());
}

json HeadersJson(const amqp::FieldTable& table) {
  json o = json::object();
  for (const amqp::FieldEntry& e : table.Entries()) o[e.key] = FieldJson(e.value);
  return o;
}

json LetterJson(const DeadLetter& l, bool full) {
  json j;
  j["message_id"] = l.message_id;
  j["event_type"] = l.event_type;
  j["correlation_id"] = l.correlation_id;
  j["error_class"] = l.error_class;
  j["error_message"] = l.error_message;
  j["worker"] = l.worker;
  j["original_exchange"] = l.original_exchange;
  j["original_routing_key"] = l.original_routing_key;
  j["original_queue"] = l.original_queue;
  j["destination_source"] = l.destination_source;
  j["attempts"] = l.attempts ? json(*l.attempts) : json(nullptr);
  j["dead_lettered_at"] = l.dead_lettered_at;
  j["replay_count"] = l.replay_count;
  j["last_replayed_at"] = l.last_replayed_at;
  j["last_replayed_by"] = l.last_replayed_by;
  if (!l.broker_reason.empty()) {
    j["broker_reason"] = l.broker_reason;
    if (l.broker_reason == "delivery_limit") {
      j["delivery_limit"] = l.delivery_limit ? json(*l.delivery_limit) : json(nullptr);
    }
  }
  j["headers"] = HeadersJson(l.message.headers);
  json body = json::parse(l.message.body, nullptr, false);
  if (!body.is_discarded()) {
    j["body"] = body;
  } else {
    std::string text = l.message.body;
    if (!full && text.size() > kBodyPreviewChars) text = text.substr(0, kBodyPreviewChars);
    j["body_text"] = text;
  }
  return j;
}

json OutcomeJson(const MessageOutcome& o) {
  json j;
  j["message_id"] = o.message_id;
  j["event_type"] = o.event_type;
  j["error_class"] = o.error_class;
  j["action"] = ToString(o.action);
  if (!o.exchange.empty() || !o.routing_key.empty()) {
    j["exchange"] = o.exchange;
    j["routing_key"] = o.routing_key;
  }
  if (!o.reason.empty()) j["reason"] = o.reason;
  return j;
}

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
    line << what_ << ": " << p.examined << "/" << p.depth << " examined, " << p.done
         << " done, " << p.skipped << " skipped, " << p.failed
         << " failed, " << std::fixed << std::setprecision(0)
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

Endpoints EndpointsFrom(const Args& args, const CliEnvironment& env) {
  Endpoints e;
  e.amqp_url = args.Last("amqp-url").value_or(!env.amqp_url.empty() ? env.amqp_url : kDefaultAmqpUrl);
  e.mgmt_url = args.Last("mgmt-url").value_or(!env.mgmt_url.empty() ? env.mgmt_url : kDefaultMgmtUrl);
  while (!e.mgmt_url.empty() && e.mgmt_url.back() == '/') e.mgmt_url.pop_back();
  return e;
}

// ---------------------------------------------------------------------------------------
// Commands

int DlqList(const Args& args, const CliEnvironment& env, std::ostream& out, std::ostream& err) {
  Allow(args, "dlq list", {});
  if (args.positional.size() > 2) throw UsageError("unexpected argument '" + args.positional[2] + "'");
  ListReport report = ListDeadLetterQueues(EndpointsFrom(args, env));
  for (const std::string& w : report.warnings) err << "choreo-admin: warning: " << w << "\n";
  if (args.Has("json")) {
    json j;
    j["vhost"] = report.vhost;
    j["source"] = report.source;
    j["queues"] = json::array();
    for (const QueueSummary& q : report.queues) {
      json e;
      e["queue"] = q.name;
      e["messages"] = q.messages;
      e["oldest_age_seconds"] =
          q.oldest_age ? json(q.oldest_age->count() / 1000) : json(nullptr);
      e["oldest_dead_lettered_at"] = q.oldest_dead_lettered_at;
      j["queues"].push_back(e);
    }
    j["warnings"] = report.warnings;
    out << j.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    return kExitOk;
  }
  if (report.queues.empty()) {
    out << "no dead-letter queues in vhost '" << report.vhost << "'\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  uint64_t total = 0;
  for (const QueueSummary& q : report.queues) {
    total += q.messages;
    std::string oldest = q.messages == 0 ? "-" : (q.oldest_age ? FormatAge(*q.oldest_age) : "?");
    rows.push_back({q.name, std::to_string(q.messages), oldest, Display(q.oldest_dead_lettered_at)});
  }
  PrintTable(out, {"QUEUE", "MESSAGES", "OLDEST", "OLDEST DEAD-LETTERED AT"}, rows, {1});
  out << report.queues.size() << " dead-letter queue" << (report.queues.size() == 1 ? "" : "s")
      << " in vhost '" << report.vhost << "', " << total << " message" << (total == 1 ? "" : "s")
      << "\n";
  return kExitOk;
}

void PrintLetter(std::ostream& out, std::size_t index, const DeadLetter& l, bool full) {
  out << "[" << index << "] " << Display(l.message_id) << "  " << Display(l.event_type) << "\n";
  auto field = [&](const char* name, const std::string& value) {
    out << "    " << Pad(name, 16) << value << "\n";
  };
  field("correlation id", Display(l.correlation_id));
  field("error class", Display(l.error_class));
  field("error message", Display(l.error_message));
  field("worker", Display(l.worker));
  field("original", l.HasDestination()
                        ? Destination(l.original_exchange, l.original_routing_key) +
                              (l.destination_source == "x-death" ? "  (from x-death)" : "")
                        : "unknown (cannot be replayed to its exchange)");
  if (!l.original_queue.empty()) field("original queue", l.original_queue);
  field("attempts", l.attempts ? std::to_string(*l.attempts) : "-");
  std::string at = Display(l.dead_lettered_at);
  if (l.dead_lettered_time) at += "  (" + AgeSince(l.dead_lettered_time) + ")";
  field("dead-lettered", at);
  if (l.replay_count > 0) {
    field("replayed", std::to_string(l.replay_count) + " time" + (l.replay_count == 1 ? "" : "s") +
                          ", last at " + Display(l.last_replayed_at) + " by " +
                          Display(l.last_replayed_by));
  }
  bool is_json = false;
  std::string body = RenderBody(l.message.body, &is_json);
  std::size_t hidden = 0;
  if (!full && body.size() > kBodyPreviewChars) {
    std::size_t cut = body.rfind('\n', kBodyPreviewChars);
    if (cut == std::string::npos || cut < kBodyPreviewChars / 2) cut = kBodyPreviewChars;
    hidden = body.size() - cut;
    body = body.substr(0, cut);
  }
  out << "    body" << (is_json ? "" : " (not JSON)") << "\n";
  std::stringstream lines(body);
  std::string line;
  while (std::getline(lines, line)) out << "      " << line << "\n";
  if (hidden > 0) out << "      ... " << hidden << " more characters (--full shows all)\n";
}

int DlqShow(const Args& args, const CliEnvironment& env, std::ostream& out) {
  Allow(args, "dlq show", With(kFilterOptions, {"full", "group-by"}));
  ShowOptions options;
  options.queue = QueueArgument(args, "dlq show");
  options.filter = ParseFilter(args);
  options.limit = ParseLimit(args);
  const bool group = args.Has("group-by");
  if (group && args.Last("group-by") != "error") {
    throw UsageError("--group-by supports 'error' only, got '" + *args.Last("group-by") + "'");
  }
  if (!group && !options.limit) options.limit = kDefaultShowLimit;
  const bool full = args.Has("full");
  ShowReport report = Show(EndpointsFrom(args, env), options);

  if (group) {
    std::vector<ErrorGroup> groups = GroupByError(report.messages);
    if (args.Has("json")) {
      json j;
      j["queue"] = report.queue;
      j["depth"] = report.depth;
      j["examined"] = report.examined;
      j["matched"] = report.matched;
      j["groups"] = json::array();
      for (const ErrorGroup& g : groups) {
        j["groups"].push_back({{"error_class", g.error_class},
                               {"error_message", g.error_message},
                               {"count", g.count},
                               {"event_types", g.event_types},
                               {"workers", g.workers},
                               {"first_dead_lettered_at", g.first_dead_lettered_at},
                               {"last_dead_lettered_at", g.last_dead_lettered_at},
                               {"example_message_id", g.example_message_id}});
      }
      out << j.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
      return kExitOk;
    }
    out << report.queue << ": " << report.matched << " message" << (report.matched == 1 ? "" : "s")
        << " in " << groups.size() << " failure group" << (groups.size() == 1 ? "" : "s");
    if (report.examined < report.depth) out << " (first " << report.examined << " of " << report.depth << ")";
    out << "\n";
    if (groups.empty()) return kExitOk;
    std::vector<std::vector<std::string>> rows;
    for (const ErrorGroup& g : groups) {
      std::string types;
      for (const auto& t : g.event_types) types += (types.empty() ? "" : ",") + t;
      std::string workers;
      for (const auto& w : g.workers) workers += (workers.empty() ? "" : ",") + w;
      rows.push_back({std::to_string(g.count), Display(g.error_class), Display(workers),
                      Display(types), Display(g.last_dead_lettered_at),
                      Cut(Display(g.error_message), 70)});
    }
    PrintTable(out, {"COUNT", "ERROR CLASS", "WORKER", "EVENT TYPES", "LAST", "ERROR MESSAGE"},
               rows, {0});
    return kExitOk;
  }

  if (args.Has("json")) {
    json j;
    j["queue"] = report.queue;
    j["depth"] = report.depth;
    j["examined"] = report.examined;
    j["matched"] = report.matched;
    j["messages"] = json::array();
    for (const DeadLetter& l : report.messages) j["messages"].push_back(LetterJson(l, full));
    out << j.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    return kExitOk;
  }
  out << report.queue << ": " << report.depth << " message" << (report.depth == 1 ? "" : "s");
  if (!options.filter.Empty()) out << ", filter " << options.filter.Describe();
  out << ", showing " << report.messages.size();
  if (report.examined < report.depth) {
    out << " (stopped after " << report.examined << "; --limit N shows more)";
  }
  out << "\n";
  for (std::size_t i = 0; i < report.messages.size(); ++i) {
    out << "\n";
    PrintLetter(out, i + 1, report.messages[i], full);
  }
  return kExitOk;
}

int DlqReplay(const Args& args, const CliEnvironment& env, std::ostream& out, std::ostream& err) {
  Allow(args, "dlq replay", With(kFilterOptions, {"dry-run", "rate", "to-queue", "quiet", "verbose"}));
  ReplayOptions options;
  options.queue = QueueArgument(args, "dlq replay");
  options.filter = ParseFilter(args);
  options.limit = ParseLimit(args);
  options.dry_run = args.Has("dry-run");
  options.to_queue = args.Has("to-queue");
  if (auto rate = args.Last("rate")) {
    char* end = nullptr;
    double r = std::strtod(rate->c_str(), &end);
    if (rate->empty() || *end != '\0' || !(r > 0)) {
      throw UsageError("--rate needs a positive number of messages per second, got '" + *rate + "'");
    }
    options.rate = r;
  }
  const bool json_out = args.Has("json");
  ProgressLine progress(err, env.stderr_is_tty, !args.Has("quiet"),
                        std::string(options.dry_run ? "dry run " : "replay ") + options.queue);
  options.on_progress = [&](const Progress& p) { progress.Update(p); };
  ReplayReport report = Replay(EndpointsFrom(args, env), options);
  progress.Done();

  const int code = report.failed > 0 || !report.error.empty() ? kExitFailure : kExitOk;
  if (json_out) {
    json j;
    j["queue"] = report.queue;
    j["dry_run"] = report.dry_run;
    j["depth"] = report.depth;
    j["examined"] = report.examined;
    j[report.dry_run ? "would_replay" : "replayed"] = report.replayed;
    j["skipped"] = report.skipped;
    j["failed"] = report.failed;
    j["late_acks"] = report.late_acks;
    j["reconnects"] = report.reconnects;
    j["elapsed_ms"] = report.elapsed.count();
    j["filter"] = options.filter.Describe();
    if (!report.error.empty()) j["error"] = report.error;
    j["messages"] = json::array();
    for (const MessageOutcome& o : report.messages) j["messages"].push_back(OutcomeJson(o));
    out << j.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    return code;
  }
  if (report.dry_run) out << "DRY RUN: nothing is published or removed.\n";
  std::vector<std::vector<std::string>> rows;
  for (const MessageOutcome& o : report.messages) {
    const bool show = o.action != Action::kReplayed || args.Has("verbose");
    if (!show) continue;
    rows.push_back({ToString(o.action), Display(o.message_id), Display(o.event_type),
                    Display(o.error_class),
                    o.action == Action::kFailed ? o.reason : "-> " + Destination(o.exchange, o.routing_key)});
  }
  if (!rows.empty()) PrintTable(out, {"ACTION", "MESSAGE ID", "TYPE", "ERROR CLASS", "TARGET / REASON"}, rows);
  std::ostringstream summary;
  summary << report.queue << ": " << (report.dry_run ? "would replay " : "replayed ") << report.replayed
          << ", skipped " << report.skipped << ", failed " << report.failed << " (examined "
          << report.examined << " of " << report.depth;
  if (!options.filter.Empty()) summary << "; filter " << options.filter.Describe();
  if (options.limit) summary << "; limit " << *options.limit;
  if (report.reconnects > 0) summary << "; " << report.reconnects << " reconnect" << (report.reconnects == 1 ? "" : "s");
  if (report.late_acks > 0) summary << "; " << report.late_acks << " late ack" << (report.late_acks == 1 ? "" : "s");
  summary << ") in " << std::fixed << std::setprecision(1)
          << static_cast<double>(report.elapsed.count()) / 1000.0 << " s";
  out << summary.str() << "\n";
  if (report.failed > 0) {
    out << "Messages that failed are still in " << report.queue << ".\n";
  }
  if (!report.error.empty()) err << "choreo-admin: replay stopped early: " << report.error
                                 << "\n(every message not reported as replayed is still in the DLQ)\n";
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

int DlqPurge(const Args& args, const CliEnvironment& env, std::istream& in, std::ostream& out,
             std::ostream& err) {
  Allow(args, "dlq purge", With(kFilterOptions, {"yes", "dry-run"}));
  PurgeOptions options;
  options.queue = QueueArgument(args, "dlq purge");
  options.filter = ParseFilter(args);
  options.limit = ParseLimit(args);
  options.dry_run = args.Has("dry-run");
  const Endpoints endpoints = EndpointsFrom(args, env);
  const bool json_out = args.Has("json");

  if (!options.dry_run && !args.Has("yes")) {
    PurgeOptions count = options;
    count.dry_run = true;
    PurgeReport preview = Purge(endpoints, count);
    if (preview.purged == 0) {
      if (json_out) {
        out << json{{"queue", options.queue}, {"purged", 0}, {"kept", preview.kept}}.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
      } else {
        out << options.queue << ": nothing matches; nothing purged\n";
      }
      return kExitOk;
    }
    std::ostringstream question;
    question << "Purge " << preview.purged << " of " << preview.depth << " message"
             << (preview.depth == 1 ? "" : "s") << " from " << options.queue;
    if (!options.filter.Empty()) question << " (filter " << options.filter.Describe() << ")";
    question << "? They are deleted for good.";
    if (!Confirm(in, err, question.str())) {
      err << "choreo-admin: aborted; nothing purged (use --yes to skip this question)\n";
      return kExitFailure;
    }
  }

  PurgeReport report = Purge(endpoints, options);
  const int code = report.error.empty() ? kExitOk : kExitFailure;
  if (json_out) {
    json j;
    j["queue"] = report.queue;
    j["dry_run"] = report.dry_run;
    j["depth"] = report.depth;
    j["examined"] = report.examined;
    j[report.dry_run ? "would_purge" : "purged"] = report.purged;
    j["kept"] = report.kept;
    j["filter"] = options.filter.Describe();
    if (!report.error.empty()) j["error"] = report.error;
    j["messages"] = json::array();
    for (const MessageOutcome& o : report.messages) j["messages"].push_back(OutcomeJson(o));
    out << j.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    return code;
  }
  if (report.dry_run) {
    out << "DRY RUN: nothing is removed.\n";
    std::vector<std::vector<std::string>> rows;
    for (const MessageOutcome& o : report.messages) {
      rows.push_back({ToString(o.action), Display(o.message_id), Display(o.event_type), Display(o.error_class)});
    }
    if (!rows.empty()) PrintTable(out, {"ACTION", "MESSAGE ID", "TYPE", "ERROR CLASS"}, rows);
  }
  out << report.queue << ": " << (report.dry_run ? "would purge " : "purged ") << report.purged
      << ", kept " << report.kept << " (examined " << report.examined << " of " << report.depth << ")\n";
  if (!report.error.empty()) err << "choreo-admin: purge stopped early: " << report.error << "\n";
  return code;
}

json OutboxJson(const OutboxReport& report) {
  json j;
  j["pending"] = report.pending;
  j["failing"] = report.failing;
  j["oldest_pending_age_seconds"] =
      report.oldest_pending_age ? json(report.oldest_pending_age->count() / 1000) : json(nullptr);
  std::optional<contracts::Millis> last_sent;
  if (report.last_sent_at_ms) last_sent = contracts::Millis(milliseconds(*report.last_sent_at_ms));
  j["last_sent_at"] = last_sent ? json(contracts::FormatRfc3339(*last_sent)) : json(nullptr);
  return j;
}

void WriteOutboxText(std::ostream& out, const OutboxReport& report, const std::string& indent) {
  std::optional<contracts::Millis> last_sent;
  if (report.last_sent_at_ms) last_sent = contracts::Millis(milliseconds(*report.last_sent_at_ms));
  out << indent << Pad("pending", 16) << report.pending << "\n";
  out << indent << Pad("failing", 16) << report.failing << "\n";
  out << indent << Pad("oldest pending", 16)
      << (report.oldest_pending_age ? FormatAge(*report.oldest_pending_age) : "-") << "\n";
  out << indent << Pad("last sent", 16)
      << (last_sent ? contracts::FormatRfc3339(*last_sent) + "  (" + AgeSince(last_sent) + ")" : "never") << "\n";
}

int OutboxStatusCommand(const Args& args, const CliEnvironment& env, std::ostream& out) {
  Allow(args, "outbox status", {"store", "component"});
  if (args.positional.size() > 2) throw UsageError("unexpected argument '" + args.positional[2] + "'");
  if (args.Has("store") && args.Has("component")) throw UsageError("give --store or --component, not both");
  std::string url = args.Last("store").value_or(args.Has("component") ? "" : env.store_url);
  if (auto component = args.Last("component")) {
    auto it = env.recorded_stores.find(*component);
    if (it == env.recorded_stores.end()) {
      throw UsageError("no store recorded for component '" + *component + "' (is infra/up running? CHOREO_VAR_DIR)");
    }
    url = it->second;
  }
  if (url.empty() && !env.recorded_stores.empty()) {
    // Every recorded component, in the audit's order.
    json all = json::object();
    for (const char* component : kAuditComponents) {
      auto it = env.recorded_stores.find(component);
      if (it == env.recorded_stores.end()) continue;
      OutboxReport report = OutboxStatus(it->second);
      if (args.Has("json")) {
        all[component] = OutboxJson(report);
      } else {
        out << component << "\n";
        WriteOutboxText(out, report, "  ");
      }
    }
    if (args.Has("json")) out << json{{"components", all}}.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    return kExitOk;
  }
  OutboxReport report = OutboxStatus(url);
  if (args.Has("json")) {
    out << OutboxJson(report).dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    return kExitOk;
  }
  WriteOutboxText(out, report, "");
  return kExitOk;
}

int AuditCommand(const Args& args, const CliEnvironment& env, std::ostream& out) {
  Allow(args, "audit",
        {"gateway-store", "order-store", "inventory-store", "payment-store", "shipping-store",
         "notification-store", "provider-store", "var-dir", "catalog", "allow-in-flight", "no-broker",
         "fail-on-dlq", "verbose"});
  if (args.positional.size() > 1) {
    std::string hint;
    if (ParseDuration(args.positional[1])) hint = " (an age for --allow-in-flight goes after '=': --allow-in-flight=" + args.positional[1] + ")";
    throw UsageError("unexpected argument '" + args.positional[1] + "'" + hint);
  }
  AuditSources sources;
  const std::string var_dir = args.Last("var-dir").value_or(env.var_dir);
  if (args.Has("var-dir") && var_dir.empty()) throw UsageError("--var-dir needs a directory");
  bool any = false;
  for (const char* component : kAuditComponents) {
    const std::string flag = std::string(component) + "-store";
    auto recorded = env.recorded_stores.find(component);
    std::string url = args.Last(flag).value_or(
        recorded != env.recorded_stores.end() ? recorded->second : DefaultStoreUrl(var_dir, component));
    if (url.empty()) throw UsageError("--" + flag + " needs a URL (or 'none')");
    if (url == "none") continue;
    sources.stores[component] = url;
    any = true;
  }
  if (!any) throw UsageError("every store is left out ('none'): nothing to audit");

  if (auto catalog = args.Last("catalog")) {
    if (catalog->empty()) throw UsageError("--catalog needs a path (or 'none')");
    if (*catalog != "none") sources.catalog_path = *catalog;
  } else if (!env.catalog.empty()) {
    sources.catalog_path = env.catalog;
  } else if (std::filesystem::exists(std::string(kDefaultCatalogPath))) {
    sources.catalog_path = std::string(kDefaultCatalogPath);
  }

  AuditOptions options;
  if (args.Has("allow-in-flight")) {
    const std::string age = *args.Last("allow-in-flight");
    options.in_flight = age.empty() ? std::optional<milliseconds>(kDefaultInFlightAge) : ParseDuration(age);
    if (!options.in_flight) {
      throw UsageError("--allow-in-flight takes an age like 90s, 5m or 1h (--allow-in-flight=5m), got '" + age + "'");
    }
  }
  options.fail_on_dlq = args.Has("fail-on-dlq");
  if (!args.Has("no-broker")) sources.broker = EndpointsFrom(args, env);

  AuditReport report = Audit(LoadAuditData(sources), options);
  if (args.Has("json")) {
    out << AuditJson(report) << "\n";
  } else {
    WriteAuditText(out, report, args.Has("verbose"));
  }
  return report.Clean() ? kExitOk : kExitFailure;
}

int TopologyApply(const Args& args, const CliEnvironment& env, std::ostream& out, std::ostream& err) {
  Allow(args, "topology apply", {"delivery-limit"});
  if (args.positional.size() > 2) throw UsageError("unexpected argument '" + args.positional[2] + "'");
  TopologyOptions options;
  const std::string from_flag = args.Last("delivery-limit").value_or("");
  if (args.Has("delivery-limit") && from_flag.empty()) throw UsageError("--delivery-limit needs a number");
  const std::string text = args.Has("delivery-limit") ? from_flag : env.delivery_limit;
  if (!text.empty()) {
    char* end = nullptr;
    long long n = std::strtoll(text.c_str(), &end, 10);
    if (*end != '\0') {
      throw UsageError("--delivery-limit / CHOREO_DELIVERY_LIMIT needs a whole number, got '" + text + "'");
    }
    options.delivery_limit = n;
  }
  const Endpoints endpoints = EndpointsFrom(args, env);
  TopologyReport report = ApplyTopology(endpoints, options);
  for (const std::string& w : report.warnings) err << "choreo-admin: warning: " << w << "\n";
  if (args.Has("json")) {
    json j;
    j["vhost"] = report.vhost;
    j["broker_version"] = report.broker_version;
    j["exchanges"] = report.exchanges;
    j["queues"] = report.queues;
    j["policies"] = json::array();
    for (const PolicyOutcome& p : report.policies) {
      j["policies"].push_back({{"name", p.policy.name},
                               {"change", ToString(p.change)},
                               {"pattern", p.policy.pattern},
                               {"definition", json::parse(DefinitionJson(p.policy))},
                               {"priority", p.policy.priority}});
    }
    j["warnings"] = report.warnings;
    out << j.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    return kExitOk;
  }
  out << "vhost '" << report.vhost << "' (RabbitMQ " << Display(report.broker_version) << "): "
      << report.exchanges << " exchanges and " << report.queues << " queues declared\n";
  std::vector<std::vector<std::string>> rows;
  for (const PolicyOutcome& p : report.policies) {
    rows.push_back({p.policy.name, ToString(p.change), DefinitionJson(p.policy), p.policy.pattern});
  }
  PrintTable(out, {"POLICY", "CHANGE", "DEFINITION", "PATTERN"}, rows);
  return kExitOk;
}

const char* HelpFor(const std::vector<std::string>& words) {
  if (words.size() >= 2 && words[0] == "dlq") {
    if (words[1] == "list") return kListUsage;
    if (words[1] == "show") return kShowUsage;
    if (words[1] == "replay") return kReplayUsage;
    if (words[1] == "purge") return kPurgeUsage;
  }
  if (words.size() >= 1 && words[0] == "outbox") return kOutboxUsage;
  if (words.size() >= 1 && words[0] == "audit") return kAuditUsage;
  if (words.size() >= 1 && words[0] == "topology") return kTopologyUsage;
  return kMainUsage;
}

bool NeedsFilters(const char* usage) {
  return usage == kShowUsage || usage == kReplayUsage || usage == kPurgeUsage;
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

int RunCli(const std::vector<std::string>& words, const CliEnvironment& given, std::istream& in,
           std::ostream& out, std::ostream& err) {
  bool json_out = false;
  try {
    Args args = Split(words);
    json_out = args.Has("json");
    CliEnvironment env = given;
    if (auto record = ReadRunRecord(RunRecordPath(args.Last("var-dir").value_or(given.var_dir)))) {
      FillFromRunRecord(env, *record);
    }
    const auto& p = args.positional;
    if (args.Has("help") || p.empty()) {
      const char* usage = HelpFor(p);
      if (p.empty() && !args.Has("help")) {
        err << kMainUsage;
        return kExitUsage;
      }
      out << usage;
      if (NeedsFilters(usage)) out << "\n" << kFilterUsage;
      return kExitOk;
    }
    if (p[0] == "dlq") {
      if (p.size() < 2) throw UsageError("'dlq' needs a subcommand: list, show, replay or purge");
      if (p[1] == "list") return DlqList(args, env, out, err);
      if (p[1] == "show") return DlqShow(args, env, out);
      if (p[1] == "replay") return DlqReplay(args, env, out, err);
      if (p[1] == "purge") return DlqPurge(args, env, in, out, err);
      throw UsageError("unknown command 'dlq " + p[1] + "' (list, show, replay, purge)");
    }
    if (p[0] == "outbox") {
      if (p.size() < 2 || p[1] != "status") throw UsageError("'outbox' has one subcommand: status");
      return OutboxStatusCommand(args, env, out);
    }
    if (p[0] == "audit") return AuditCommand(args, env, out);
    if (p[0] == "topology") {
      if (p.size() < 2 || p[1] != "apply") throw UsageError("'topology' has one subcommand: apply");
      return TopologyApply(args, env, out, err);
    }
    throw UsageError("unknown command '" + p[0] + "' (dlq, outbox, audit, topology)");
  } catch (const UsageError& e) {
    err << "choreo-admin: " << e.what() << "\n";
    err << "Run 'choreo-admin --help' (or '<command> --help') for usage.\n";
    if (json_out) out << json{{"error", e.what()}, {"exit_code", kExitUsage}}.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    return kExitUsage;
  } catch (const CommandError& e) {
    err << "choreo-admin: error: " << e.what() << "\n";
    if (json_out) out << json{{"error", e.what()}, {"exit_code", kExitFailure}}.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    return kExitFailure;
  }
}

}  // namespace choreo::admin
