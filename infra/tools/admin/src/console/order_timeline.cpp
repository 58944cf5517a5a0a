// The order timeline: what happened to one order, across every component, in time order
// (choreo/admin/timeline.hpp, the same library as `choreo-admin trace`), from the stores
// infra/up recorded and the broker's DLQs.
#include "choreo/admin/timeline.hpp"
#include "console/handlers.hpp"
#include "console/html.hpp"

namespace choreo::admin::console {

namespace {

Timeline Read(const Context& context, const std::string& order_id) {
  return BuildTimeline(ReadTimelineFacts(context.Record().stores, context.options.endpoints, order_id));
}

bool Known(const Timeline& t) { return !t.messages.empty() || !t.status.empty(); }

std::string Summary(const Timeline& t) {
  std::string html = "<p>State: <strong>" + Escape(t.status.empty() ? "unknown to the order worker" : t.status) +
                     "</strong>" + (t.reason.empty() ? "" : " (" + Escape(t.reason) + ")") + "</p>\n";
  for (const std::string& trace : t.trace_ids) html += "<p>Trace <code>" + Escape(trace) + "</code></p>\n";
  return html;
}

}  // namespace

void OrderTimelinePage(const Context& context, http::Exchange& ex) {
  const std::string& id = ex.Param("id");
  const Timeline timeline = Read(context, id);
  std::string body;
  for (const std::string& problem : timeline.problems) body += Paragraph(problem, "warning");
  if (!Known(timeline)) {
    body += Paragraph("No store read knows this order.", "error");
    SendPage(ex, 404, Page("Order " + id, body));
    return;
  }
  body += Summary(timeline);
  const TimelineTable table = TimelineRows(timeline);
  if (table.start_ms) body += Paragraph("Times are after the first publication, at " + FormatTimelineTime(*table.start_ms) + ".");
  std::vector<std::vector<std::string>> rows;
  for (const std::vector<std::string>& row : table.rows) {
    std::vector<std::string> cells;
    for (std::size_t i = 0; i < row.size(); ++i) {
      // The outcome carries a class so a dead letter or a pending message stands out.
      cells.push_back(i == 4 ? "<span class=\"outcome-" + Escape(row[i]) + "\">" + Escape(row[i]) + "</span>"
                             : Escape(row[i]));
    }
    rows.push_back(std::move(cells));
  }
  body += Table(table.header, rows);
  SendPage(ex, 200, Page("Order " + id, body));
}

void OrderTimelineApi(const Context& context, http::Exchange& ex) {
  const std::string& id = ex.Param("id");
  const Timeline timeline = Read(context, id);
  if (!Known(timeline)) {
    ex.SendProblem(404, "order-not-found", "Order Not Found", "No store read knows this order.",
                   {{"order_id", id}, {"problems", timeline.problems}});
    return;
  }
  ex.Send(200, http::kJsonContentType, TimelineJson(timeline).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace choreo::admin::console
