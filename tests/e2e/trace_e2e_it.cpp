// Trace context end to end, and an order's timeline read back from the stores: orders go
// in through the gateway with a traceparent of the client's; every message of each order
// must carry its trace (a retried one, a dead-lettered then replayed one too), the log
// lines of its handling must name it, and `choreo-admin trace --json` must list the
// order's events in causal order with their consumers.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "choreo/admin/admin.hpp"
#include "choreo/admin/audit.hpp"
#include "choreo/admin/cli.hpp"
#include "choreo/admin/console.hpp"
#include "choreo/contracts/topology.hpp"
#include "choreo/contracts/trace.hpp"
#include "choreo/store/store.hpp"
#include "choreo/testing/browser.hpp"
#include "choreo/testing/http_client.hpp"
#include "choreo/testing/testing.hpp"
#include "system.hpp"

namespace choreo::e2e {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;

const std::string kInventoryDlq =
    contracts::topology::DeadLetterQueueName(contracts::topology::ForWorker("inventory").work.name);

class TraceE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    vhost_ = new testing::TestVhost("trace");
    gateway_port_ = FreePort();
    SystemOptions options{.amqp_url = vhost_->AmqpUrl()};
    options.env["gateway"]["CHOREO_GATEWAY_PORT"] = std::to_string(gateway_port_);
    // tok_flaky fails twice (the provider's default); two retries see it through (and
    // the payment's circuit stays closed: its threshold is then max_retries + 1).
    options.env["payment"]["CHOREO_MAX_RETRIES"] = "2";
    system_ = new System(options);
    system_->StartAll();
    system_->Start("gateway");
    watcher_ = new TerminalWatcher(vhost_->AmqpUrl());
    ASSERT_TRUE(testing::WaitFor(
        [] {
          try {
            return testing::Request(static_cast<uint16_t>(gateway_port_), "GET", "/readyz").status == 200;
          } catch (...) {
            return false;
          }
        },
        30s, 50ms))
        << system_->LogTail("gateway");
  }
  static void TearDownTestSuite() {
    delete watcher_;
    delete system_;
    delete vhost_;
  }

  admin::Endpoints Broker() const {
    return {.amqp_url = vhost_->AmqpUrl(), .mgmt_url = testing::TestNode().mgmt_url};
  }

  // POST /orders with the client's traceparent; returns the order id.
  std::string Submit(const std::string& token, const std::string& traceparent,
                     const std::vector<std::string>& skus = {"sku-001"}) {
    json lines = json::array();
    for (const std::string& sku : skus) lines.push_back({{"sku", sku}, {"quantity", 1}});
    const json body = {{"customer_id", "c-trace"},
                       {"lines", lines},
                       {"payment", {{"method", "card"}, {"token", token}}},
                       {"shipping_address", {{"name", "Ada Lovelace"}, {"line1", "1 Main St"}, {"city", "Berlin"},
                                             {"postal_code", "10115"}, {"country", "DE"}}}};
    const testing::HttpResult r = testing::Request(static_cast<uint16_t>(gateway_port_), "POST", "/orders",
                                                   body.dump(), "application/json", {{"traceparent", traceparent}});
    EXPECT_EQ(r.status, 202) << r.body;
    // The gateway answers with its own span in the client's trace.
    const auto answered = contracts::ParseTraceparent(r.Header("traceparent"));
    EXPECT_TRUE(answered) << r.Header("traceparent");
    if (answered) EXPECT_EQ(answered->trace_id, contracts::ParseTraceparent(traceparent)->trace_id);
    return r.Json().at("order_id").get<std::string>();
  }

  // choreo-admin trace <order> --json, against this system's stores and DLQs.
  json Trace(const std::string& order_id) {
    std::vector<std::string> args = {"trace", order_id, "--json", "--amqp-url=" + vhost_->AmqpUrl(),
                                     "--mgmt-url=" + testing::TestNode().mgmt_url};
    for (const char* component : admin::kAuditComponents) {
      args.push_back("--" + std::string(component) + "-store=" + system_->StoreUrl(component));
    }
    admin::CliEnvironment environment;
    std::istringstream in;
    std::ostringstream out, err;
    const int rc = admin::RunCli(args, environment, in, out, err);
    EXPECT_EQ(rc, 0) << err.str() << out.str();
    return json::parse(out.str());
  }

  // The dead letter of `order` in `dlq`, waited for.
  std::optional<admin::DeadLetter> WaitForDeadLetter(const std::string& dlq, const std::string& order) {
    std::optional<admin::DeadLetter> letter;
    testing::WaitFor(
        [&] {
          for (admin::DeadLetter& l : admin::Show(Broker(), {.queue = dlq, .filter = {}, .limit = std::nullopt}).messages) {
            if (l.correlation_id == order) letter = std::move(l);
          }
          return letter.has_value();
        },
        30s, 200ms);
    return letter;
  }

  static testing::TestVhost* vhost_;
  static System* system_;
  static TerminalWatcher* watcher_;
  static int gateway_port_;
};

testing::TestVhost* TraceE2E::vhost_ = nullptr;
System* TraceE2E::system_ = nullptr;
TerminalWatcher* TraceE2E::watcher_ = nullptr;
int TraceE2E::gateway_port_ = 0;

std::string NewClientTraceparent() {
  return contracts::FormatTraceparent({contracts::NewTraceId(), contracts::NewSpanId(), 1});
}

std::string TraceIdOf(const std::string& traceparent) { return contracts::ParseTraceparent(traceparent)->trace_id; }

// Every message carries the one trace; each comes after the message whose handling sent
// it; returns the event types in timeline order.
std::vector<std::string> CheckTrace(const json& timeline, const std::string& trace_id) {
  EXPECT_EQ(timeline.at("trace_ids"), json::array({trace_id})) << timeline.dump(2);
  std::map<std::string, std::size_t> position_of_span;
  std::vector<std::string> types;
  for (std::size_t i = 0; i < timeline.at("messages").size(); ++i) {
    const json& m = timeline["messages"][i];
    types.push_back(m.at("type"));
    EXPECT_EQ(m.at("trace_id"), trace_id) << m.dump(2);
    const std::string parent = m.at("parent_span_id").is_string() ? m["parent_span_id"].get<std::string>() : "";
    if (m.at("type") != "order.placed") {
      auto it = position_of_span.find(parent);
      EXPECT_NE(it, position_of_span.end()) << m.at("type") << " names no earlier handling as its parent";
    }
    for (const json& d : m.at("deliveries")) {
      if (d.at("span_id").is_string()) position_of_span[d["span_id"]] = i;
    }
  }
  return types;
}

const json* Message(const json& timeline, const std::string& type) {
  for (const json& m : timeline.at("messages")) {
    if (m.at("type") == type) return &m;
  }
  return nullptr;
}

const json* Delivery(const json& message, const std::string& consumer) {
  for (const json& d : message.at("deliveries")) {
    if (d.at("consumer") == consumer) return &d;
  }
  return nullptr;
}

std::set<std::string> Consumers(const json& message) {
  std::set<std::string> out;
  for (const json& d : message.at("deliveries")) {
    EXPECT_EQ(d.at("outcome"), "handled") << message.at("type") << ": " << d.dump();
    out.insert(d.at("consumer"));
  }
  return out;
}

// The currency of a catalog item, as an operator would set it in the inventory's store.
void SetCurrency(System& system, const std::string& sku, const std::string& currency) {
  store::Store inventory(system.StoreUrl("inventory"));
  inventory.InTransaction(
      [&](store::Tx& tx) { tx.Run("UPDATE inventory_catalog SET currency = ? WHERE sku = ?", currency, sku); });
}

bool LogNames(const std::string& path, const std::string& trace_id) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    try {
      const json j = json::parse(line);
      if (j.value("trace_id", "") == trace_id && j.contains("span_id")) return true;
    } catch (...) {
    }
  }
  return false;
}

TEST_F(TraceE2E, HappyDeclinedAndRetriedOrdersEachFormOneTraceInCausalOrder) {
  const std::string happy_tp = NewClientTraceparent(), declined_tp = NewClientTraceparent(),
                    retried_tp = NewClientTraceparent();
  const std::string happy = Submit("tok_ok", happy_tp);
  const std::string declined = Submit("tok_decline", declined_tp);
  const std::string retried = Submit("tok_flaky", retried_tp);
  ASSERT_TRUE(watcher_->WaitForAll({happy, declined, retried}, 90s));
  EXPECT_EQ(watcher_->Outcome(happy), "CONFIRMED");
  EXPECT_EQ(watcher_->Outcome(declined), "CANCELLED:payment_declined");
  EXPECT_EQ(watcher_->Outcome(retried), "CONFIRMED");

  // The gateway's read model handles order.status_changed after the terminal event is
  // out; wait until the timeline has every delivery handled.
  json t;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        t = Trace(happy);
        for (const json& m : t.at("messages")) {
          // The reservation deadline waits in its delay queue for minutes: pending.
          if (m.at("type") == "inventory.reservation_deadline") continue;
          for (const json& d : m.at("deliveries")) {
            if (d.at("outcome") != "handled") return false;
          }
        }
        return Message(t, "notification.sent") != nullptr;
      },
      30s, 200ms))
      << t.dump(2);
  const std::vector<std::string> types = CheckTrace(t, TraceIdOf(happy_tp));
  EXPECT_EQ(types.front(), "order.placed");
  EXPECT_EQ(t.at("status"), "confirmed");
  EXPECT_EQ(Consumers(*Message(t, "order.placed")), (std::set<std::string>{"inventory", "order"}));
  EXPECT_EQ(Consumers(*Message(t, "inventory.reserved")), (std::set<std::string>{"payment", "order"}));
  EXPECT_EQ(Consumers(*Message(t, "payment.captured")), (std::set<std::string>{"inventory", "order"}));
  EXPECT_EQ(Consumers(*Message(t, "inventory.committed")), (std::set<std::string>{"shipping", "order"}));
  ASSERT_TRUE(Message(t, "shipment.scheduled"));
  EXPECT_EQ(Consumers(*Message(t, "order.confirmed")).count("notification"), 1u);
  for (const char* type : {"order.placed", "inventory.reserved", "payment.captured", "inventory.committed",
                           "shipment.scheduled", "order.confirmed", "notification.sent"}) {
    EXPECT_NE(std::find(types.begin(), types.end(), type), types.end()) << type;
  }

  const json d = Trace(declined);
  CheckTrace(d, TraceIdOf(declined_tp));
  EXPECT_EQ(d.at("status"), "cancelled");
  EXPECT_EQ(d.at("reason"), "payment_declined");
  ASSERT_TRUE(Message(d, "payment.declined"));
  EXPECT_EQ(Consumers(*Message(d, "payment.declined")).count("inventory"), 1u);
  ASSERT_TRUE(Message(d, "order.cancelled"));
  EXPECT_FALSE(Message(d, "payment.captured"));

  const json r = Trace(retried);
  CheckTrace(r, TraceIdOf(retried_tp));
  const json* payment = Delivery(*Message(r, "inventory.reserved"), "payment");
  ASSERT_TRUE(payment);
  EXPECT_EQ(payment->at("retries"), 2) << payment->dump();
  EXPECT_TRUE(payment->at("link_span_id").is_string()) << "the last attempt links to the failed one";
  // The failed attempts logged with the order's trace.
  EXPECT_TRUE(LogNames(system_->LogPath("payment"), TraceIdOf(retried_tp)));
}

TEST_F(TraceE2E, ADeadLetteredThenReplayedMessageKeepsItsTrace) {
  // Bad data an operator repairs: one catalog item priced in another currency makes an
  // order of both a permanent failure of inventory (one order, one currency).
  SetCurrency(*system_, "sku-002", "USD");
  const std::string tp = NewClientTraceparent();
  const std::string order = Submit("tok_ok", tp, {"sku-001", "sku-002"});
  const std::optional<admin::DeadLetter> letter = WaitForDeadLetter(kInventoryDlq, order);
  ASSERT_TRUE(letter);
  // The dead letter keeps the order's trace, and names the span that gave up on it.
  const amqp::FieldValue* header = letter->message.headers.Find(contracts::kTraceparentHeader);
  ASSERT_TRUE(header && header->As<std::string>());
  EXPECT_EQ(TraceIdOf(*header->As<std::string>()), TraceIdOf(tp));
  ASSERT_TRUE(letter->message.headers.Find(contracts::kFailedSpanHeader));
  const json before = Trace(order);
  const json* failed = Delivery(*Message(before, "order.placed"), "inventory");
  ASSERT_TRUE(failed) << before.dump(2);
  EXPECT_EQ(failed->at("outcome"), "dead_lettered");
  EXPECT_EQ(failed->at("error_class"), "permanent");

  // Repaired; replayed to the inventory's queue only.
  SetCurrency(*system_, "sku-002", "EUR");
  admin::ReplayOptions replay;
  replay.queue = kInventoryDlq;
  replay.filter.ids = {letter->message_id};
  replay.to_queue = true;
  EXPECT_EQ(admin::Replay(Broker(), replay).replayed, 1u);
  ASSERT_TRUE(watcher_->WaitForAll({order}, 60s));
  EXPECT_EQ(watcher_->Outcome(order), "CONFIRMED");

  const json after = Trace(order);
  CheckTrace(after, TraceIdOf(tp));
  const json* inventory = Delivery(*Message(after, "order.placed"), "inventory");
  EXPECT_EQ(inventory->at("outcome"), "handled") << after.dump(2);
  EXPECT_EQ(inventory->at("replays"), 1);
  // The replayed handling links to the one that dead-lettered it.
  const std::string* failed_span = letter->message.headers.Find(contracts::kFailedSpanHeader)->As<std::string>();
  ASSERT_TRUE(failed_span);
  EXPECT_EQ(inventory->at("link_span_id"), *failed_span);
  EXPECT_TRUE(LogNames(system_->LogPath("inventory"), TraceIdOf(tp)));
}

// The same repair through the web console in a real browser: the operator sees the
// failure group, replays it after confirming, sees the queue empty and the order's
// timeline complete (infra/tools/admin/tests/console_browser.mjs, CHOREO_CONSOLE_ORDER).
TEST_F(TraceE2E, TheConsoleReplaysARealOrdersPoisonMessageAndShowsItsTimeline) {
  const auto found = testing::FindBrowserTools();
  ASSERT_TRUE(std::holds_alternative<testing::BrowserTools>(found)) << std::get<std::string>(found);
  const testing::BrowserTools& tools = std::get<testing::BrowserTools>(found);

  SetCurrency(*system_, "sku-002", "USD");
  const std::string order = Submit("tok_ok", NewClientTraceparent(), {"sku-001", "sku-002"});
  const std::optional<admin::DeadLetter> letter = WaitForDeadLetter(kInventoryDlq, order);
  ASSERT_TRUE(letter);
  SetCurrency(*system_, "sku-002", "EUR");

  // What infra/up would have recorded: every component's store.
  const fs::path var_dir = fs::path(system_->Dir()) / "console-var";
  fs::create_directories(var_dir / "run");
  {
    std::ofstream record(var_dir / "run" / "record");
    record << "profile embedded\n";
    for (const char* component : admin::kAuditComponents) {
      record << "store " << component << " " << system_->StoreUrl(component) << "\n";
    }
  }
  admin::ConsoleOptions options;
  options.port = 0;
  options.endpoints = Broker();
  options.var_dir = var_dir.string();
  admin::Console console(options);
  console.Start();

  const fs::path shots = CHOREO_SCREENSHOTS_DIR;
  fs::remove_all(shots);
  const std::string log = system_->Dir() + "/browser.log";
  ::setenv("CHOREO_NODE_TOOLS", tools.node_tools.c_str(), 1);
  ::setenv("CHOREO_CHROMIUM", tools.chromium.c_str(), 1);
  ::setenv("CHOREO_CONSOLE_QUEUE", kInventoryDlq.c_str(), 1);
  ::setenv("CHOREO_CONSOLE_ERROR_MESSAGE", letter->error_message.c_str(), 1);
  ::setenv("CHOREO_CONSOLE_ORDER", order.c_str(), 1);
  const std::string command = tools.node + " " + CHOREO_CONSOLE_BROWSER_SCRIPT + " http://127.0.0.1:" +
                              std::to_string(console.Port()) + "/ " + shots.string() + " > " + log + " 2>&1";
  const int rc = std::system(command.c_str());
  std::ifstream in(log);
  const std::string output((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(rc, 0) << output;
  for (const char* name : {"failure-group.png", "confirm-replay.png", "queue-empty.png", "order-timeline.png"}) {
    EXPECT_TRUE(fs::exists(shots / name)) << name << "\n" << output;
  }
  ASSERT_TRUE(watcher_->WaitForAll({order}, 30s));
  EXPECT_EQ(watcher_->Outcome(order), "CONFIRMED");
}

}  // namespace
}  // namespace choreo::e2e
