#pragma once
// The console's request handlers, one function per route of the table in routes.cpp.
// Each gets the shared Context and the Exchange; errors it throws are answered by the
// guard in routes.cpp (problem+json for the API, an error page for pages), so none
// escapes to the server.
#include "choreo/http/exchange.hpp"
#include "console/model.hpp"

namespace choreo::admin::console {

using RouteHandler = void (*)(const Context& context, http::Exchange& exchange);

// Pages (pages.cpp).
void QueuesPageHandler(const Context& context, http::Exchange& exchange);
void GroupsPageHandler(const Context& context, http::Exchange& exchange);
void MessagesPageHandler(const Context& context, http::Exchange& exchange);
void ConfirmPageHandler(const Context& context, http::Exchange& exchange);
void OutboxPageHandler(const Context& context, http::Exchange& exchange);
void WorkersPageHandler(const Context& context, http::Exchange& exchange);
void OrderSearchHandler(const Context& context, http::Exchange& exchange);
void ScriptHandler(const Context& context, http::Exchange& exchange);

// The JSON API (api.cpp), described in console-openapi.yaml.
void ApiQueues(const Context& context, http::Exchange& exchange);
void ApiGroups(const Context& context, http::Exchange& exchange);
void ApiMessages(const Context& context, http::Exchange& exchange);
void ApiReplay(const Context& context, http::Exchange& exchange);
void ApiOutbox(const Context& context, http::Exchange& exchange);
void ApiWorkers(const Context& context, http::Exchange& exchange);
void ApiDocument(const Context& context, http::Exchange& exchange);

// The order timeline (order_timeline.cpp): the page /orders/{id} and GET /api/orders/{id}.
void OrderTimelinePage(const Context& context, http::Exchange& exchange);
void OrderTimelineApi(const Context& context, http::Exchange& exchange);

// Answers an HTML page with the console's security headers.
void SendPage(http::Exchange& exchange, int status, const std::string& html);

}  // namespace choreo::admin::console
