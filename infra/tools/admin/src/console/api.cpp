// The JSON API behind the pages (console-openapi.yaml). Errors are RFC 9457 problems.
#include <variant>

#include "cli/commands.hpp"
#include "cli/dlq_render.hpp"
#include "console/assets.hpp"
#include "console/handlers.hpp"

namespace choreo::admin::console {

namespace {

using nlohmann::json;

Selection SelectionOf(const http::Exchange& ex) {
  return SelectionFromQuery([&](std::string_view name) { return ex.Query(name); });
}

// A state-changing request must come from the console's own pages (or a tool that sends
// no Origin): a browser names the page's origin, which must be this host.
bool SameOrigin(http::Exchange& ex) {
  const std::string origin = ex.Request().get("Origin", "");
  if (origin.empty()) return true;
  const std::string host = ex.Request().get("Host", "");
  return origin == "http://" + host;
}

}  // namespace

void ApiQueues(const Context& context, http::Exchange& ex) {
  const ListReport report = Queues(context);
  json queues = json::array();
  for (const QueueSummary& q : report.queues) queues.push_back(cli::QueueJson(q));
  ex.SendJson(200, {{"vhost", report.vhost}, {"source", report.source}, {"queues", queues},
                    {"warnings", report.warnings}});
}

void ApiGroups(const Context& context, http::Exchange& ex) {
  const std::string& queue = ex.Param("queue");
  const Groups groups = FailureGroups(context, queue);
  json list = json::array();
  for (const ErrorGroup& g : groups.groups) list.push_back(cli::GroupJson(g));
  ex.SendJson(200, {{"queue", queue}, {"depth", groups.report.depth}, {"examined", groups.report.examined},
                    {"groups", list}});
}

void ApiMessages(const Context& context, http::Exchange& ex) {
  const std::string& queue = ex.Param("queue");
  const Selection selection = SelectionOf(ex);
  const ShowReport report = Messages(context, queue, selection);
  json messages = json::array();
  for (const DeadLetter& l : report.messages) messages.push_back(cli::LetterJson(l, /*full=*/true));
  ex.SendJson(200, {{"queue", queue}, {"depth", report.depth}, {"examined", report.examined},
                    {"matched", report.matched}, {"selection", selection.Json()}, {"messages", messages}});
}

void ApiReplay(const Context& context, http::Exchange& ex) {
  // JSON only: an HTML form cannot send it, so another site cannot make the operator's
  // browser replay anything.
  if (!ex.RequireContentType(http::kJsonContentType)) return;
  if (!SameOrigin(ex)) {
    ex.SendProblem(403, "cross-origin", "Forbidden", "Replays are accepted from the console's own pages only.");
    return;
  }
  const std::optional<std::string> body = ex.ReadBody();
  if (!body) return;
  auto parsed = ParseReplayRequest(*body);
  if (const std::string* error = std::get_if<std::string>(&parsed)) {
    ex.SendProblem(400, "invalid-replay-request", "Bad Request", *error);
    return;
  }
  const ReplayRequest& request = std::get<ReplayRequest>(parsed);
  const std::string& queue = ex.Param("queue");
  if (NextStep(request) == ReplayStep::kAskConfirmation) {
    const ReplayReport preview = ReplaySelection(context, queue, request.selection, /*dry_run=*/true);
    ex.SendProblem(409, "confirmation-required", "Confirmation Required",
                   "Replay " + std::to_string(preview.replayed) + " message" + (preview.replayed == 1 ? "" : "s") +
                       " from " + queue + "? Send the same request with \"confirm\": true to replay them.",
                   {{"queue", queue}, {"would_replay", preview.replayed}, {"cannot_replay", preview.failed},
                    {"selection", request.selection.Json()}});
    return;
  }
  const ReplayReport report = ReplaySelection(context, queue, request.selection, /*dry_run=*/false);
  ex.SendJson(200, cli::ReplayJson(report, request.selection.ToFilter().Describe()));
}

void ApiOutbox(const Context& context, http::Exchange& ex) {
  json components = json::array();
  for (const ComponentOutbox& o : Outboxes(context)) {
    json row = o.report ? cli::OutboxJson(*o.report) : json::object();
    row["component"] = o.component;
    if (!o.report) row["error"] = o.error;
    components.push_back(row);
  }
  ex.SendJson(200, {{"components", components}});
}

void ApiWorkers(const Context& context, http::Exchange& ex) {
  json workers = json::array();
  for (const WorkerStatus& w : Workers(context)) workers.push_back(WorkerJson(w));
  ex.SendJson(200, {{"workers", workers}});
}

void ApiDocument(const Context&, http::Exchange& ex) {
  ex.Send(200, "application/yaml; charset=utf-8", Asset("console-openapi.yaml"));
}

}  // namespace choreo::admin::console
