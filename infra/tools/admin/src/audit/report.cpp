// The audit report: one line per check, the dead letters, the summary and the verdict;
// or the same as JSON.
#include <algorithm>
#include <iomanip>
#include <ostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "audit/checks.hpp"
#include "choreo/contracts/time.hpp"
#include "text.hpp"

namespace choreo::admin {

namespace {

using audit::Lower;
using audit::Money;
using nlohmann::json;
using std::chrono::milliseconds;

constexpr std::size_t kOffendersInline = 3;
constexpr std::size_t kDeadLettersShown = 50;

std::string Counted(std::size_t n, const std::string& unit) { return std::to_string(n) + " " + unit; }

std::string Detail(const CheckResult& c) {
  std::ostringstream out;
  switch (c.status) {
    case CheckStatus::kSkipped: out << c.note; return out.str();
    case CheckStatus::kOk:
      out << Counted(c.checked, c.unit) << " checked";
      if (c.tolerated > 0) out << ", " << c.tolerated << " still in flight";
      return out.str();
    case CheckStatus::kViolation:
    case CheckStatus::kWarning: break;
  }
  out << c.offenders.size() << " of " << Counted(c.checked, c.unit);
  if (c.tolerated > 0) out << " (" << c.tolerated << " more in flight)";
  out << ": ";
  for (std::size_t i = 0; i < c.offenders.size() && i < kOffendersInline; ++i) {
    out << (i == 0 ? "" : ", ") << c.offenders[i].id << " (" << c.offenders[i].problem << ")";
  }
  if (c.offenders.size() > kOffendersInline) out << ", +" << c.offenders.size() - kOffendersInline << " more";
  return out.str();
}

std::string ByKey(const std::map<std::string, std::size_t>& counts) {
  std::string text;
  for (const auto& [k, n] : counts) text += (text.empty() ? "" : ", ") + k + " " + std::to_string(n);
  return text;
}

}  // namespace

void WriteAuditText(std::ostream& out, const AuditReport& report, bool verbose) {
  const auto at = contracts::Millis(milliseconds(report.now_ms));
  out << "choreo audit at " << contracts::FormatRfc3339(at);
  if (report.in_flight) {
    out << " (orders and outbox rows younger than " << FormatAge(*report.in_flight) << " may be in flight)";
  } else {
    out << " (nothing may be in flight)";
  }
  out << "\n";
  for (const auto& s : report.sources) out << "  " << s << "\n";
  out << "\n";
  std::size_t name_width = 0;
  for (const auto& c : report.checks) name_width = std::max(name_width, c.name.size());
  for (const auto& c : report.checks) {
    out << Pad(ToString(c.status), 10) << Pad(c.name, name_width + 2) << Detail(c) << "\n";
    const bool list_all = verbose && (c.status == CheckStatus::kViolation || c.status == CheckStatus::kWarning);
    if (list_all && c.name != "dlq.empty") {
      for (const auto& o : c.offenders) out << "            " << o.id << ": " << o.problem << "\n";
    }
  }
  if (!report.dead_letters.empty()) {
    out << "\nDead letters (" << report.dead_letters.size() << "):\n";
    std::vector<std::vector<std::string>> rows;
    const std::size_t shown =
        verbose ? report.dead_letters.size() : std::min(report.dead_letters.size(), kDeadLettersShown);
    for (std::size_t i = 0; i < shown; ++i) {
      const auto& m = report.dead_letters[i];
      rows.push_back({m.queue, Display(m.message_id), Display(m.event_type), Display(m.correlation_id),
                      (m.error_class.empty() ? "?" : m.error_class) + ": " + Cut(m.error_message, 100)});
    }
    std::ostringstream table;
    PrintTable(table, {"QUEUE", "MESSAGE ID", "TYPE", "ORDER", "REASON"}, rows);
    std::istringstream lines(table.str());
    for (std::string line; std::getline(lines, line);) out << "  " << line << "\n";
    if (shown < report.dead_letters.size()) {
      out << "  ... " << report.dead_letters.size() - shown << " more (--verbose or --json lists all)\n";
    }
  }
  for (const auto& w : report.warnings) out << "\nwarning: " << w;
  if (!report.warnings.empty()) out << "\n";

  const AuditSummary& s = report.summary;
  out << "\nSummary\n";
  out << "  orders     " << s.orders_accepted << " accepted, " << s.confirmed << " confirmed, " << s.cancelled
      << " cancelled";
  if (!s.cancelled_by_reason.empty()) out << " (" << ByKey(s.cancelled_by_reason) << ")";
  out << ", " << s.in_flight << " not terminal\n";
  out << "  payments   " << s.captures << " captures (" << Money(s.captured_minor) << "), " << s.refunds << " refunds ("
      << Money(s.refunded_minor) << "), " << s.declined_charges << " declined\n";
  out << "  e-mails    " << s.emails;
  if (!s.emails_by_template.empty()) out << " (" << ByKey(s.emails_by_template) << ")";
  out << "\n";
  out << "  shipments  " << s.shipments_scheduled << " scheduled, " << s.shipments_rejected << " rejected\n";
  out << "  stock      " << s.units_sold << " units sold, " << s.units_reserved << " reserved\n";
  out << "  outboxes   " << s.outbox_pending << " pending rows\n";
  out << "  DLQs       " << s.dlq_messages << " messages\n";

  const std::size_t violations = report.Violations();
  std::size_t skipped = 0, warnings = 0;
  std::string failed;
  for (const auto& c : report.checks) {
    if (c.status == CheckStatus::kSkipped) ++skipped;
    if (c.status == CheckStatus::kWarning) ++warnings;
    if (c.status == CheckStatus::kViolation) failed += (failed.empty() ? "" : ", ") + c.name;
  }
  out << "\n";
  if (violations > 0) {
    out << "Result: VIOLATION - " << violations << " of " << report.checks.size() << " checks failed: " << failed
        << "\n";
  } else {
    out << "Result: OK - " << report.checks.size() - skipped - warnings << " checks passed";
    if (warnings > 0) out << ", " << warnings << " warning" << (warnings == 1 ? "" : "s");
    if (skipped > 0) out << ", " << skipped << " skipped";
    out << "\n";
  }
}

std::string AuditJson(const AuditReport& report) {
  json j = {{"ok", report.Clean()},
            {"violations", report.Violations()},
            {"at", contracts::FormatRfc3339(contracts::Millis(milliseconds(report.now_ms)))},
            {"in_flight_allowed_ms", report.in_flight ? json(report.in_flight->count()) : json(nullptr)},
            {"sources", report.sources},
            {"checks", json::array()}};
  for (const auto& c : report.checks) {
    json e = {{"name", c.name}, {"description", c.description}, {"status", Lower(ToString(c.status))},
              {"checked", c.checked}, {"unit", c.unit}, {"tolerated", c.tolerated},
              {"offending", c.offenders.size()}, {"offenders", json::array()}};
    if (!c.note.empty()) e["note"] = c.note;
    for (const auto& o : c.offenders) e["offenders"].push_back({{"id", o.id}, {"problem", o.problem}});
    j["checks"].push_back(std::move(e));
  }
  const AuditSummary& s = report.summary;
  j["summary"] = {{"orders_accepted", s.orders_accepted},
                  {"orders_known", s.orders_known},
                  {"confirmed", s.confirmed},
                  {"cancelled", s.cancelled},
                  {"cancelled_by_reason", s.cancelled_by_reason},
                  {"not_terminal", s.in_flight},
                  {"captures", s.captures},
                  {"captured_minor", s.captured_minor},
                  {"declined_charges", s.declined_charges},
                  {"refunds", s.refunds},
                  {"refunded_minor", s.refunded_minor},
                  {"emails", s.emails},
                  {"emails_by_template", s.emails_by_template},
                  {"shipments_scheduled", s.shipments_scheduled},
                  {"shipments_rejected", s.shipments_rejected},
                  {"units_sold", s.units_sold},
                  {"units_reserved", s.units_reserved},
                  {"outbox_pending", s.outbox_pending},
                  {"dlq_messages", s.dlq_messages}};
  j["dead_letters"] = json::array();
  for (const auto& m : report.dead_letters) {
    j["dead_letters"].push_back({{"queue", m.queue}, {"message_id", m.message_id}, {"event_type", m.event_type},
                                 {"order_id", m.correlation_id}, {"error_class", m.error_class},
                                 {"error_message", m.error_message}, {"worker", m.worker},
                                 {"dead_lettered_at", m.dead_lettered_at}});
  }
  j["warnings"] = report.warnings;
  return PrettyJson(j);
}

}  // namespace choreo::admin
