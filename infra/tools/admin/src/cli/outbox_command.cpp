// outbox status: the pending rows of one component's outbox, or of every recorded one.
#include <ostream>

#include "choreo/admin/audit.hpp"
#include "cli/commands.hpp"
#include "text.hpp"

namespace choreo::admin::cli {

namespace {

using nlohmann::json;
using std::chrono::milliseconds;

constexpr const char* kOutboxUsage = R"(Usage: choreo-admin outbox status [--store URL | --component NAME] [--json]

Pending outbox rows of one component's store, rows that failed at least once, the age of
the oldest pending row and when the last row was sent. Without --store and
CHOREO_STORE_URL: the store infra/up recorded for --component, or every recorded store.

  --store URL       sqlite:PATH or postgresql://user@host:port/db (env CHOREO_STORE_URL)
  --component NAME  gateway, order, inventory, payment, shipping, notification, provider
)";

std::optional<contracts::Millis> LastSent(const OutboxReport& report) {
  if (!report.last_sent_at_ms) return std::nullopt;
  return contracts::Millis(milliseconds(*report.last_sent_at_ms));
}

}  // namespace

json OutboxJson(const OutboxReport& report) {
  json j;
  j["pending"] = report.pending;
  j["failing"] = report.failing;
  j["oldest_pending_age_seconds"] =
      report.oldest_pending_age ? json(report.oldest_pending_age->count() / 1000) : json(nullptr);
  const auto last_sent = LastSent(report);
  j["last_sent_at"] = last_sent ? json(contracts::FormatRfc3339(*last_sent)) : json(nullptr);
  return j;
}

namespace {

void WriteOutboxText(std::ostream& out, const OutboxReport& report, const std::string& indent) {
  const auto last_sent = LastSent(report);
  out << indent << Pad("pending", 16) << report.pending << "\n";
  out << indent << Pad("failing", 16) << report.failing << "\n";
  out << indent << Pad("oldest pending", 16)
      << (report.oldest_pending_age ? FormatAge(*report.oldest_pending_age) : "-") << "\n";
  out << indent << Pad("last sent", 16)
      << (last_sent ? contracts::FormatRfc3339(*last_sent) + "  (" + AgeSince(last_sent) + ")" : "never") << "\n";
}

// Every recorded component, in the audit's order.
int EveryRecordedOutbox(const Args& args, const Io& io) {
  json all = json::object();
  for (const char* component : kAuditComponents) {
    auto it = io.env.recorded_stores.find(component);
    if (it == io.env.recorded_stores.end()) continue;
    OutboxReport report = OutboxStatus(it->second);
    if (args.Has("json")) {
      all[component] = OutboxJson(report);
    } else {
      io.out << component << "\n";
      WriteOutboxText(io.out, report, "  ");
    }
  }
  if (args.Has("json")) io.out << PrettyJson(json{{"components", all}}) << "\n";
  return kExitOk;
}

int OutboxStatusRun(const Args& args, const Io& io) {
  NoMoreArguments(args, 2);
  if (args.Has("store") && args.Has("component")) throw UsageError("give --store or --component, not both");
  std::string url = args.Last("store").value_or(args.Has("component") ? "" : io.env.store_url);
  if (auto component = args.Last("component")) {
    auto it = io.env.recorded_stores.find(*component);
    if (it == io.env.recorded_stores.end()) {
      throw UsageError("no store recorded for component '" + *component + "' (is infra/up running? CHOREO_VAR_DIR)");
    }
    url = it->second;
  }
  if (url.empty() && !io.env.recorded_stores.empty()) return EveryRecordedOutbox(args, io);
  OutboxReport report = OutboxStatus(url);
  if (args.Has("json")) {
    io.out << PrettyJson(OutboxJson(report)) << "\n";
  } else {
    WriteOutboxText(io.out, report, "");
  }
  return kExitOk;
}

void OutboxOptionsOf(Poco::Util::OptionSet& options) {
  AddOnce(options, Valued("store", "URL"));
  AddOnce(options, Valued("component", "NAME"));
}

}  // namespace

Command OutboxStatusCommand() {
  return {.path = {"outbox", "status"}, .usage = kOutboxUsage, .define = OutboxOptionsOf, .run = OutboxStatusRun};
}

}  // namespace choreo::admin::cli
