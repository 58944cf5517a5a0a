// The order timeline: what happened to one order, across every component, in time order.
// The library that assembles it (`choreo-admin trace <order-id>`) is not part of the
// console yet, so these two handlers say "timeline not available" and show nothing they
// do not know. When it exists, fill them in here: the routes (routes.cpp), the search box
// (html.cpp) and the API description (console-openapi.yaml) are in place.
#include "console/handlers.hpp"
#include "console/html.hpp"

namespace choreo::admin::console {

void OrderTimelinePage(const Context&, http::Exchange& ex) {
  const std::string& id = ex.Param("id");
  SendPage(ex, 501,
           Page("Order " + id, Paragraph("Timeline not available: this console cannot show an order's timeline yet.") +
                                   "<p>" + Link("/", "Back to the dead-letter queues") + "</p>\n"));
}

void OrderTimelineApi(const Context&, http::Exchange& ex) {
  ex.SendProblem(501, "timeline-not-available", "Timeline Not Available",
                 "This console cannot show an order's timeline yet.", {{"order_id", ex.Param("id")}});
}

}  // namespace choreo::admin::console
