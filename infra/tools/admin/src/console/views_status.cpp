// The status pages: outbox backlogs and workers.
#include "console/html.hpp"
#include "console/views.hpp"
#include "text.hpp"

namespace choreo::admin::console {

namespace {

std::string Badge(const std::string& text, const std::string& kind) {
  return "<span class=\"badge " + Escape(kind) + "\">" + Escape(text) + "</span>";
}

std::string CircuitBadge(const CircuitReading& c) {
  const std::string state(CircuitStateName(c.state));
  const std::string kind = c.state == 0 ? "ok" : (c.state == 1 ? "warn" : "bad");
  return Badge(Display(c.circuit) + ": " + state, kind);
}

// The page `title` when infra/up recorded none of `what`.
std::string NothingRecorded(const std::string& title, const std::string& what) {
  return Page(title, Paragraph("No " + what + " recorded: the console finds them in the run record infra/up writes "
                               "(CHOREO_VAR_DIR/run/record). Is infra/up running?"));
}

}  // namespace

std::string OutboxPage(const std::vector<ComponentOutbox>& outboxes) {
  if (outboxes.empty()) return NothingRecorded("Outbox", "stores");
  std::vector<std::vector<std::string>> rows;
  for (const ComponentOutbox& o : outboxes) {
    if (!o.report) {
      rows.push_back({Escape(o.component), Badge("unreadable", "bad"), "", "", "", Escape(o.error)});
      continue;
    }
    const OutboxReport& r = *o.report;
    std::optional<contracts::Millis> last_sent;
    if (r.last_sent_at_ms) last_sent = contracts::Millis(std::chrono::milliseconds(*r.last_sent_at_ms));
    rows.push_back({Escape(o.component), Number(static_cast<std::size_t>(r.pending)),
                    Number(static_cast<std::size_t>(r.failing)),
                    Escape(r.oldest_pending_age ? FormatAge(*r.oldest_pending_age) : "-"),
                    Escape(last_sent ? contracts::FormatRfc3339(*last_sent) + " (" + AgeSince(last_sent) + ")" : "never"),
                    ""});
  }
  return Page("Outbox", Table({"Component", "Pending", "Failing", "Oldest pending", "Last sent", "Error"}, rows));
}

std::string WorkersPage(const std::vector<WorkerStatus>& workers) {
  if (workers.empty()) return NothingRecorded("Workers", "workers");
  std::vector<std::vector<std::string>> rows;
  for (const WorkerStatus& w : workers) {
    std::string state = !w.up ? Badge("down", "bad") : (w.ready ? Badge("ready", "ok") : Badge("not ready", "warn"));
    std::string circuits;
    for (const CircuitReading& c : w.circuits) circuits += CircuitBadge(c) + " ";
    if (w.up && !w.metrics) circuits = Escape("(no /metrics)");
    rows.push_back({Escape(w.name), Escape(w.kind), Escape(w.port ? std::to_string(*w.port) : "-"), state,
                    circuits.empty() ? "-" : circuits, Escape(Display(w.reason))});
  }
  return Page("Workers", Table({"Process", "Kind", "Port", "Readiness", "Circuits", "Reason"}, rows));
}

}  // namespace choreo::admin::console
