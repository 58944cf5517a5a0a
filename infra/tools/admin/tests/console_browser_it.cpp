// The console in a real browser (label browser): a poison message in a dead-letter queue,
// the console in process, then tests/console_browser.mjs drives Debian's chromium through
// playwright-core: the failure group is shown, the message's hostile body stays text, the
// replay asks first and empties the queue after the confirm; the workers' page shows an
// open circuit and a worker that is down, the outbox page a backlog. Screenshots go to
// <build>/console-screenshots. Fails (never skips) when node, playwright-core or chromium
// is missing: infra/test installs them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "choreo/admin/console.hpp"
#include "choreo/http/admin_server.hpp"
#include "choreo/metrics/metrics.hpp"
#include "choreo/testing/browser.hpp"
#include "choreo/testing/test_database.hpp"
#include "choreo/testing/testing.hpp"
#include "support.hpp"

namespace choreo::admin {
namespace {

namespace fs = std::filesystem;
using choreo::testing::WaitFor;
using std::chrono::seconds;

constexpr const char* kDlq = "order.dlq";
// Markup in the error message too: it travels through a link, a data attribute and the
// replay request, and must come back as the same text.
constexpr const char* kErrorMessage = "quantity must be >= 1 <b>\"bold\"</b>";

class ConsoleBrowserTest : public testing::VhostTest {
 protected:
  void SetUp() override {
    OpenVhost("console-browser", "console-browser-test");
    testing::DeclareWorker(*connection_, "order");
    var_dir_ = fs::temp_directory_path() / choreo::testing::UniqueName("console-browser-var");
    fs::create_directories(var_dir_ / "run");
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(var_dir_, ignored);
  }

  // What infra/up would have recorded: a worker whose provider circuit is open (a real
  // admin endpoint), one that is down, and a store with two pending outbox rows.
  void RecordASystem(uint16_t worker_port, const std::string& store_url) {
    std::ofstream(var_dir_ / "run" / "record") << "profile embedded\n"
                                               << "service worker payment-worker " << worker_port << " -\n"
                                               << "service worker order-worker " << choreo::testing::FreePort()
                                               << " -\n"
                                               << "store order " << store_url << "\n";
  }

  fs::path var_dir_;
};

TEST_F(ConsoleBrowserTest, ThePoisonGroupIsReplayedAfterConfirmationInChromium) {
  const auto found = choreo::testing::FindBrowserTools();
  ASSERT_TRUE(std::holds_alternative<choreo::testing::BrowserTools>(found)) << std::get<std::string>(found);
  const auto& browser = std::get<choreo::testing::BrowserTools>(found);
  const std::string& node = browser.node;
  const std::string& tools = browser.node_tools;

  testing::DeadLetterSeed seed;
  seed.message = testing::OrderPlaced("ord-browser", /*poison=*/true);
  nlohmann::json body = nlohmann::json::parse(seed.message.body);
  body["payload"]["note"] = "<script>window.pwned=1</script><img src=x onerror=\"window.pwned=2\">";
  seed.message.body = body.dump();
  seed.error_message = kErrorMessage;
  testing::SeedDeadLetters(*connection_, kDlq, {seed});

  metrics::Registry registry;
  const metrics::Labels provider = {{"worker", "payment"}, {"circuit", "provider"}};
  registry.GetGauge("choreo_circuit_state", "Circuit breaker state: 0 closed, 1 half-open, 2 open", provider).Set(2);
  http::AdminServer worker(http::AdminServerOptions{}, registry, [] { return std::string("circuit 'provider' open"); });
  worker.Start();
  choreo::testing::TestDatabase db(choreo::testing::DbKind::kSqlite, "console-browser-outbox");
  testing::AddPendingOutboxRows(db.Url(), 2);
  RecordASystem(worker.Port(), db.Url());

  ConsoleOptions options;
  options.port = 0;
  options.endpoints = endpoints_;
  options.var_dir = var_dir_.string();
  Console console(options);
  console.Start();

  const fs::path shots = CHOREO_CONSOLE_SCREENSHOTS;
  fs::remove_all(shots);
  const std::string url = "http://127.0.0.1:" + std::to_string(console.Port()) + "/";
  const testing::RunResult run =
      testing::RunBinary(node, {CHOREO_CONSOLE_BROWSER_SCRIPT, url, shots.string()}, "",
                         {{"CHOREO_NODE_TOOLS", tools}, {"CHOREO_CONSOLE_QUEUE", kDlq},
                          {"CHOREO_CONSOLE_ERROR_MESSAGE", kErrorMessage}});
  EXPECT_EQ(run.exit_code, 0) << "stdout:\n" << run.out << "\nstderr:\n" << run.err;
  for (const char* name : {"failure-group.png", "poison-message.png", "confirm-replay.png", "queue-empty.png",
                           "workers.png", "outbox.png"}) {
    EXPECT_TRUE(fs::exists(shots / name)) << name << "\n" << run.out;
  }
  // What the browser saw is what the broker has: the DLQ is empty and the message is back
  // in its work queue.
  EXPECT_EQ(connection_->InspectQueue(kDlq).message_count, 0u);
  EXPECT_TRUE(WaitFor([&] { return connection_->InspectQueue("order").message_count == 1; }, seconds(10)));
  EXPECT_EQ(testing::Peek(*connection_, "order"), std::vector<std::string>{seed.message.message_id});
}

}  // namespace
}  // namespace choreo::admin
