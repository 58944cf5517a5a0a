// The console's pure parts (src/console/): failure groups and the filter that replays one,
// the confirmation rule, HTML escaping of everything a message carries, the metrics
// reading and the route table. No I/O.
#include <gtest/gtest.h>

#include <set>

#include "choreo/admin/admin.hpp"
#include "console/assets.hpp"
#include "console/html.hpp"
#include "console/routes.hpp"
#include "console/selection.hpp"
#include "console/views.hpp"
#include "console/workers.hpp"

namespace choreo::admin::console {
namespace {

DeadLetter Letter(const std::string& id, const std::string& error_class, const std::string& message,
                  const std::string& body = "{}") {
  DeadLetter l;
  l.message_id = id;
  l.event_type = "order.placed";
  l.error_class = error_class;
  l.error_message = message;
  l.worker = "order";
  l.message.body = body;
  return l;
}

std::size_t Count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

const contracts::Millis kNow{};

TEST(ConsoleGroups, AGroupsFilterSelectsExactlyItsMessages) {
  const std::vector<DeadLetter> letters = {
      Letter("a", "permanent", "sku unknown"), Letter("b", "permanent", "sku unknown"),
      // Same class, a message that contains the first group's: another group.
      Letter("c", "permanent", "sku unknown: sku-9"), Letter("d", "contract_violation", "sku unknown"),
      Letter("e", "permanent", "")};
  const std::vector<ErrorGroup> groups = GroupByError(letters);
  ASSERT_EQ(groups.size(), 4u);
  EXPECT_EQ(groups[0].count, 2u);
  for (const ErrorGroup& g : groups) {
    const Filter filter = GroupSelection(g).ToFilter();
    std::size_t matched = 0;
    for (const DeadLetter& l : letters) {
      const bool in_group = l.error_class == g.error_class && l.error_message == g.error_message;
      EXPECT_EQ(filter.Matches(l, kNow), in_group) << l.message_id << " vs group " << g.error_message;
      matched += filter.Matches(l, kNow) ? 1 : 0;
    }
    EXPECT_EQ(matched, g.count);
  }
}

TEST(ConsoleSelection, QueryRoundTripKeepsAnEmptyGroupMessage) {
  Selection group{.error_class = "permanent", .error_message = "", .message_id = {}};
  const std::string query = QueryString(group.QueryPairs());
  EXPECT_EQ(query, "?error_class=permanent&error_message=");
  const Selection back = SelectionFromQuery([](std::string_view name) -> std::optional<std::string> {
    if (name == "error_class") return "permanent";
    if (name == "error_message") return "";
    return std::nullopt;
  });
  ASSERT_TRUE(back.error_message);
  EXPECT_EQ(*back.error_message, "");
  // Without a class an empty message selects nothing: it is no group.
  const Selection none = SelectionFromQuery([](std::string_view name) -> std::optional<std::string> {
    return name == "error_message" ? std::optional<std::string>("") : std::nullopt;
  });
  EXPECT_TRUE(none.Empty());
  EXPECT_EQ(QueryString({{"error_message", "a b&c=d/é"}}), "?error_message=a%20b%26c%3Dd%2F%C3%A9");
}

TEST(ConsoleConfirmRule, OnlyTheJsonValueTrueReplays) {
  auto step = [](std::string_view body) {
    auto parsed = ParseReplayRequest(body);
    EXPECT_TRUE(std::holds_alternative<ReplayRequest>(parsed)) << body;
    return NextStep(std::get<ReplayRequest>(parsed));
  };
  EXPECT_EQ(step(R"({"error_class":"permanent","error_message":"x"})"), ReplayStep::kAskConfirmation);
  EXPECT_EQ(step(R"({"error_class":"permanent","confirm":false})"), ReplayStep::kAskConfirmation);
  EXPECT_EQ(step(R"({"message_id":"m-1","confirm":true})"), ReplayStep::kReplay);
  EXPECT_EQ(step("{}"), ReplayStep::kAskConfirmation);

  for (const char* bad : {R"({"confirm":"true"})", R"({"confirm":1})", R"({"error_class":7})",
                          R"({"error_class":"x","filter":"all"})", "[]", "confirm=true", ""}) {
    auto parsed = ParseReplayRequest(bad);
    EXPECT_TRUE(std::holds_alternative<std::string>(parsed)) << "accepted: " << bad;
  }
  const auto parsed = ParseReplayRequest(R"({"error_class":"a","error_message":"b","message_id":"c","confirm":true})");
  const ReplayRequest& r = std::get<ReplayRequest>(parsed);
  EXPECT_EQ(r.selection.error_class, std::optional<std::string>("a"));
  EXPECT_EQ(r.selection.error_message, std::optional<std::string>("b"));
  EXPECT_EQ(r.selection.message_id, std::optional<std::string>("c"));
}

TEST(ConsoleHtml, EscapesEveryMarkupCharacter) {
  EXPECT_EQ(Escape(R"(<a href="x" onclick='y'>&amp;</a>)"),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;");
  EXPECT_EQ(Escape("plain text é"), "plain text é");
}

TEST(ConsoleHtml, AHostileMessageCannotScriptThePage) {
  const std::string queue = "order\"><script>alert(3)</script>.dlq";
  ShowReport report;
  report.queue = queue;
  report.depth = 1;
  report.examined = 1;
  report.matched = 1;
  report.messages.push_back(Letter("m-<b>1</b>", "permanent", "<img src=x onerror=alert(2)>",
                                   R"({"note":"<script>window.pwned=1</script>"})"));
  report.messages.push_back(Letter("m-2", "permanent", "x", "</pre><script>window.pwned=2</script>"));
  const Selection selection{.error_class = "permanent", .error_message = "<img src=x onerror=alert(2)>", .message_id = {}};
  const std::string page = MessagesPage(queue, selection, report);

  EXPECT_NE(page.find("&lt;script&gt;window.pwned=1&lt;/script&gt;"), std::string::npos) << page;
  EXPECT_NE(page.find("&lt;/pre&gt;&lt;script&gt;window.pwned=2"), std::string::npos);
  EXPECT_NE(page.find("&lt;img src=x onerror=alert(2)&gt;"), std::string::npos);
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_EQ(page.find("<b>1</b>"), std::string::npos);
  // The only script element is the console's own.
  EXPECT_EQ(Count(page, "<script"), 1u);
  EXPECT_NE(page.find("<script src=\"/console.js\" defer></script>"), std::string::npos);

  Groups groups;
  groups.report = report;
  groups.groups = GroupByError(report.messages);
  const std::string groups_page = GroupsPage(queue, groups, std::nullopt);
  EXPECT_EQ(Count(groups_page, "<script"), 1u);
  EXPECT_EQ(groups_page.find("<img"), std::string::npos);
}

TEST(ConsoleHtml, TheConfirmationAsksBeforeAnythingIsReplayed) {
  ReplayReport preview;
  preview.queue = "order.dlq";
  preview.dry_run = true;
  preview.replayed = 2;
  const Selection selection{.error_class = "permanent", .error_message = "it's \"bad\" <x>", .message_id = {}};
  const std::string page = ConfirmPage("order.dlq", selection, preview);
  EXPECT_NE(page.find("Replay 2 messages from order.dlq?"), std::string::npos) << page;
  EXPECT_NE(page.find("id=\"confirm-replay\""), std::string::npos);
  // The selection rides along as escaped JSON in an attribute.
  EXPECT_NE(page.find("data-selection=\"{&quot;error_class&quot;:&quot;permanent&quot;,&quot;error_message&quot;:"
                      "&quot;it&#39;s \\&quot;bad\\&quot; &lt;x&gt;&quot;}\""),
            std::string::npos)
      << page;

  preview.replayed = 0;
  const std::string nothing = ConfirmPage("order.dlq", selection, preview);
  EXPECT_EQ(nothing.find("confirm-replay"), std::string::npos) << "nothing to confirm";
  EXPECT_NE(nothing.find("Nothing to replay"), std::string::npos);
}

TEST(ConsoleWorkers, ReadsCircuitStatesFromMetrics) {
  const std::string text =
      "# HELP choreo_circuit_state Circuit breaker state: 0 closed, 1 half-open, 2 open\n"
      "# TYPE choreo_circuit_state gauge\n"
      "choreo_circuit_state{circuit=\"store\",worker=\"payment\"} 0\n"
      "choreo_circuit_state{circuit=\"provider\",worker=\"payment\"} 2\n"
      "choreo_circuit_state{circuit=\"odd \\\"name\\\"\",worker=\"payment\"} 1\n"
      "choreo_circuit_state{dependency=\"broker\"} 7\n"
      "choreo_circuit_state_other{circuit=\"x\"} 2\n"
      "choreo_circuit_state{circuit=\"broken\" 2\n"
      "choreo_messages_total{worker=\"payment\"} 12\n";
  const std::vector<CircuitReading> circuits = ParseCircuitStates(text);
  ASSERT_EQ(circuits.size(), 4u);
  EXPECT_EQ(circuits[0].circuit, "broker");
  EXPECT_EQ(circuits[0].state, -1) << "a value outside 0..2 is unknown";
  EXPECT_EQ(circuits[1].circuit, "odd \"name\"");
  EXPECT_EQ(circuits[1].state, 1);
  EXPECT_EQ(circuits[2].circuit, "provider");
  EXPECT_EQ(CircuitStateName(circuits[2].state), "open");
  EXPECT_EQ(circuits[3].circuit, "store");
  EXPECT_EQ(CircuitStateName(circuits[3].state), "closed");
}

TEST(ConsoleWorkers, WorkersAndGatewaysAreAsked) {
  RunRecord record;
  record.services = {{"worker", "order-worker", 9101}, {"provider", "provider", 8090},
                     {"gateway", "gateway", 8080}, {"console", "console", 8070}};
  const std::vector<RecordedService> asked = ScrapedServices(record);
  ASSERT_EQ(asked.size(), 2u);
  EXPECT_EQ(asked[0].name, "order-worker");
  EXPECT_EQ(asked[1].name, "gateway");
}

TEST(ConsoleRoutes, OneTableWithTheApiUnderApiAndTheOrderTimeline) {
  std::set<std::pair<std::string_view, std::string_view>> seen;
  bool timeline_page = false, timeline_api = false, replay_is_post = false;
  for (const Route& r : Routes()) {
    EXPECT_TRUE(seen.insert({r.method, r.path_template}).second) << r.path_template;
    EXPECT_EQ(r.kind == RouteKind::kApi, r.path_template.starts_with("/api/")) << r.path_template;
    timeline_page |= r.path_template == "/orders/{id}" && r.handler == OrderTimelinePage;
    timeline_api |= r.path_template == "/api/orders/{id}" && r.handler == OrderTimelineApi;
    if (r.path_template == "/api/dlq/{queue}/replay") replay_is_post = r.method == "POST";
    EXPECT_TRUE(r.method == "GET" || r.path_template == "/api/dlq/{queue}/replay") << "only replay changes anything";
  }
  EXPECT_TRUE(timeline_page);
  EXPECT_TRUE(timeline_api);
  EXPECT_TRUE(replay_is_post);
}

// console-openapi.yaml (block style: "  /path:" then "    get:") against the route table:
// every API route is described, and nothing else is.
TEST(ConsoleRoutes, TheApiDescriptionMatchesTheRouteTable) {
  const std::string_view document = Asset("console-openapi.yaml");
  ASSERT_FALSE(document.empty());
  std::set<std::pair<std::string, std::string>> described;
  std::string path;
  std::size_t start = 0;
  while (start < document.size()) {
    std::size_t end = document.find('\n', start);
    if (end == std::string_view::npos) end = document.size();
    const std::string_view line = document.substr(start, end - start);
    start = end + 1;
    if (line.starts_with("  /") && line.ends_with(":")) {
      path = std::string(line.substr(2, line.size() - 3));
    } else if (line.starts_with("components:")) {
      path.clear();
    } else if (!path.empty() && (line == "    get:" || line == "    post:")) {
      std::string method(line.substr(4, line.size() - 5));
      for (char& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      described.insert({method, path});
    }
  }
  std::set<std::pair<std::string, std::string>> routed;
  for (const Route& r : Routes()) {
    if (r.kind == RouteKind::kApi) routed.insert({std::string(r.method), std::string(r.path_template)});
  }
  EXPECT_EQ(described, routed);
  EXPECT_FALSE(Asset("console.js").empty());
  EXPECT_FALSE(Asset("console.css").empty());
}

}  // namespace
}  // namespace choreo::admin::console
