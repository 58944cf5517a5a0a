// The dead-letter pages: queues, failure groups, messages, the replay confirmation.
#include <nlohmann/json.hpp>

#include "choreo/http/problem.hpp"
#include "cli/dlq_render.hpp"
#include "console/html.hpp"
#include "console/views.hpp"
#include "text.hpp"

namespace choreo::admin::console {

namespace {

std::string Plural(std::size_t n, const std::string& word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

std::string Joined(const std::vector<std::string>& words) {
  std::string text;
  for (const auto& w : words) text += (text.empty() ? "" : ", ") + w;
  return text;
}

std::string SelectionHref(const std::string& queue, const std::string& page, const Selection& selection) {
  return QueueHref(queue) + "/" + page + QueryString(selection.QueryPairs());
}

// One field of a message: name and escaped value.
std::string Field(const std::string& name, const std::string& value) {
  return "<dt>" + Escape(name) + "</dt><dd>" + Escape(Display(value)) + "</dd>";
}

std::string Letter(const std::string& queue, const DeadLetter& l) {
  std::string html = "<section class=\"letter\">\n<h2>" + Escape(Display(l.message_id)) + " <small>" +
                     Escape(Display(l.event_type)) + "</small></h2>\n<dl>";
  html += Field("error class", l.error_class);
  html += Field("error message", l.error_message);
  html += Field("worker", l.worker);
  html += Field("attempts", l.attempts ? std::to_string(*l.attempts) : "");
  html += Field("dead-lettered at", l.dead_lettered_at + (l.dead_lettered_time ? "  (" + AgeSince(l.dead_lettered_time) + ")" : ""));
  html += Field("broker reason", l.broker_reason);
  html += Field("original", l.HasDestination() ? cli::Destination(l.original_exchange, l.original_routing_key)
                                               : "unknown: cannot be replayed to its exchange");
  html += Field("original queue", l.original_queue);
  html += Field("correlation id", l.correlation_id);
  if (l.replay_count > 0) {
    html += Field("replayed", Plural(static_cast<std::size_t>(l.replay_count), "time") + ", last at " +
                                  Display(l.last_replayed_at) + " by " + Display(l.last_replayed_by));
  }
  bool is_json = false;
  const std::string body = cli::RenderBody(l.message.body, &is_json);
  html += "</dl>\n<p class=\"label\">body" + std::string(is_json ? "" : " (not JSON)") + "</p>\n<pre class=\"body\">" +
          Escape(body) + "</pre>\n";
  Selection one{.error_class = {}, .error_message = {}, .message_id = l.message_id};
  if (!l.message_id.empty()) {
    html += "<p>" + Link(SelectionHref(queue, "replay", one), "Replay this message…") + "</p>\n";
  }
  return html + "</section>\n";
}

}  // namespace

std::string QueueHref(const std::string& queue) { return "/dlq/" + UrlEncode(queue); }

std::string QueuesPage(const ListReport& report) {
  std::string body;
  for (const std::string& w : report.warnings) body += Paragraph(w, "warning");
  if (report.queues.empty()) {
    body += Paragraph("No dead-letter queues in vhost '" + report.vhost + "'.");
    return Page("Dead-letter queues", body);
  }
  std::vector<std::vector<std::string>> rows;
  for (const QueueSummary& q : report.queues) {
    const std::string oldest = q.messages == 0 ? "-" : (q.oldest_age ? FormatAge(*q.oldest_age) : "?");
    rows.push_back({Link(QueueHref(q.name), q.name), Number(q.messages),
                    Escape(oldest), Escape(Display(q.oldest_dead_lettered_at))});
  }
  body += Table({"Queue", "Messages", "Oldest", "Oldest dead-lettered at"}, rows);
  return Page("Dead-letter queues", body);
}

std::string GroupsPage(const std::string& queue, const Groups& groups, std::optional<std::size_t> replayed) {
  std::string body;
  if (replayed) body += Paragraph("Replayed " + Plural(*replayed, "message") + ".", "done");
  const ShowReport& r = groups.report;
  if (r.depth == 0 && r.messages.empty()) {
    body += Paragraph("No dead letters in " + queue + ": the queue is empty.");
    return Page(queue, body);
  }
  std::string summary = Plural(r.depth, "message") + " in " + Plural(groups.groups.size(), "failure group");
  if (r.examined < r.depth) summary += " (grouped: the first " + std::to_string(r.examined) + ")";
  body += Paragraph(summary + ".");
  std::vector<std::vector<std::string>> rows;
  for (const ErrorGroup& g : groups.groups) {
    const Selection s = GroupSelection(g);
    rows.push_back({Number(g.count), Escape(Display(g.error_class)),
                    "<span class=\"message\">" + Escape(Display(g.error_message)) + "</span>",
                    Escape(Display(Joined(g.event_types))), Escape(Display(Joined(g.workers))),
                    Escape(Display(g.last_dead_lettered_at)),
                    Link(SelectionHref(queue, "messages", s), "Messages") + " " +
                        Link(SelectionHref(queue, "replay", s), "Replay group…")});
  }
  body += Table({"Count", "Error class", "Error message", "Event types", "Workers", "Last", ""}, rows);
  return Page(queue, body);
}

std::string MessagesPage(const std::string& queue, const Selection& selection, const ShowReport& report) {
  std::string body = "<p>" + Link(QueueHref(queue), "← all failure groups of " + queue) + "</p>\n";
  body += Paragraph(Plural(report.matched, "message") + " of " + std::to_string(report.depth) + " match " +
                    selection.Describe() + (report.messages.size() < report.matched
                                                ? "; showing the first " + std::to_string(report.messages.size())
                                                : "") + ".");
  if (!report.messages.empty()) {
    body += "<p>" + Link(SelectionHref(queue, "replay", selection), "Replay all of them…") + "</p>\n";
  }
  for (const DeadLetter& l : report.messages) body += Letter(queue, l);
  return Page(queue + ": messages", body);
}

std::string ConfirmPage(const std::string& queue, const Selection& selection, const ReplayReport& preview) {
  std::string body = "<p>" + Link(QueueHref(queue), "← all failure groups of " + queue) + "</p>\n";
  body += Paragraph("Selected: " + selection.Describe() + ".");
  if (preview.failed > 0) {
    body += Paragraph(Plural(preview.failed, "message") +
                          " of the selection cannot be replayed (no original exchange and routing key); they stay.",
                      "warning");
  }
  if (preview.replayed == 0) {
    body += Paragraph("Nothing to replay: no message of " + queue + " matches.");
    return Page("Replay", body);
  }
  // The selection travels in a data attribute as JSON; console.js posts it back with
  // "confirm": true. Escape keeps it inert whatever the error message holds.
  body += "<section class=\"confirm\">\n<p class=\"question\">Replay " + Plural(preview.replayed, "message") +
          " from " + Escape(queue) + "?</p>\n";
  body += Paragraph("Each goes back to its original exchange and routing key (publisher confirms); its copy in " +
                    queue + " is removed once the broker confirmed it.");
  body += "<button type=\"button\" id=\"confirm-replay\" class=\"danger\" data-queue=\"" + Escape(queue) +
          "\" data-selection=\"" + Escape(http::Dump(selection.Json())) + "\">Confirm</button> " +
          Link(QueueHref(queue), "Cancel") + "\n<p id=\"replay-result\" role=\"status\"></p>\n</section>\n";
  return Page("Replay", body);
}

std::string ErrorPage(const std::string& title, const std::string& detail) {
  return Page(title, Paragraph(detail, "error") + "<p>" + Link("/", "Back to the dead-letter queues") + "</p>\n");
}

}  // namespace choreo::admin::console
