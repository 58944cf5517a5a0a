// The HTML pages: gathered by model.hpp, rendered by views.hpp.
#include <cstdlib>

#include "console/assets.hpp"
#include "console/handlers.hpp"
#include "console/html.hpp"
#include "console/views.hpp"

namespace choreo::admin::console {

namespace {

Selection SelectionOf(const http::Exchange& ex) {
  return SelectionFromQuery([&](std::string_view name) { return ex.Query(name); });
}

// ?replayed=N after a replay, as console.js sends the operator back to the queue.
std::optional<std::size_t> ReplayedCount(const http::Exchange& ex) {
  const std::optional<std::string> text = ex.Query("replayed");
  if (!text || text->empty() || text->size() > 9 || text->front() < '0' || text->front() > '9') return std::nullopt;
  char* end = nullptr;
  const unsigned long n = std::strtoul(text->c_str(), &end, 10);
  if (*end != '\0') return std::nullopt;
  return static_cast<std::size_t>(n);
}

}  // namespace

void SendPage(http::Exchange& ex, int status, const std::string& html) {
  ex.SetHeader("Content-Security-Policy", std::string(kContentSecurityPolicy));
  ex.SetHeader("X-Content-Type-Options", "nosniff");
  ex.SetHeader("Referrer-Policy", "no-referrer");
  ex.Send(status, kHtmlContentType, html);
}

void QueuesPageHandler(const Context& context, http::Exchange& ex) { SendPage(ex, 200, QueuesPage(Queues(context))); }

void GroupsPageHandler(const Context& context, http::Exchange& ex) {
  const std::string& queue = ex.Param("queue");
  SendPage(ex, 200, GroupsPage(queue, FailureGroups(context, queue), ReplayedCount(ex)));
}

void MessagesPageHandler(const Context& context, http::Exchange& ex) {
  const std::string& queue = ex.Param("queue");
  const Selection selection = SelectionOf(ex);
  SendPage(ex, 200, MessagesPage(queue, selection, Messages(context, queue, selection)));
}

void ConfirmPageHandler(const Context& context, http::Exchange& ex) {
  const std::string& queue = ex.Param("queue");
  const Selection selection = SelectionOf(ex);
  // A dry run of the very replay the Confirm button asks for: nothing is published.
  SendPage(ex, 200, ConfirmPage(queue, selection, ReplaySelection(context, queue, selection, /*dry_run=*/true)));
}

void OutboxPageHandler(const Context& context, http::Exchange& ex) { SendPage(ex, 200, OutboxPage(Outboxes(context))); }

void WorkersPageHandler(const Context& context, http::Exchange& ex) { SendPage(ex, 200, WorkersPage(Workers(context))); }

void OrderSearchHandler(const Context&, http::Exchange& ex) {
  const std::optional<std::string> id = ex.Query("id");
  if (!id || id->empty()) {
    SendPage(ex, 400, ErrorPage("Find an order", "Type an order id into the search box."));
    return;
  }
  ex.SetHeader("Location", "/orders/" + UrlEncode(*id));
  ex.Send(303, "text/plain; charset=utf-8", "");
}

void ScriptHandler(const Context&, http::Exchange& ex) {
  ex.SetHeader("X-Content-Type-Options", "nosniff");
  ex.Send(200, "text/javascript; charset=utf-8", Asset("console.js"));
}

}  // namespace choreo::admin::console
