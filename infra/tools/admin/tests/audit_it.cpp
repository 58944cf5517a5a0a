// choreo-admin audit against real stores: one database per component (SQLite files, or
// schemas on the test PostgreSQL) built by the components' own migrations, the provider's
// ledger written through the real Ledger, and a small consistent history of four orders.
// The audit passes on it; each broken guarantee, written into the stores the way a bug
// would leave it, fails it (exit 1) and is named. The DLQ part runs against the test broker.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "choreo/admin/admin.hpp"
#include "choreo/admin/audit.hpp"
#include "choreo/admin/cli.hpp"
#include "choreo/contracts/time.hpp"
#include "choreo/gateway/read_model.hpp"
#include "choreo/inventory/inventory.hpp"
#include "choreo/notification/notification.hpp"
#include "choreo/order/order_worker.hpp"
#include "choreo/outbox/outbox.hpp"
#include "choreo/payment/payment.hpp"
#include "choreo/provider/ledger.hpp"
#include "choreo/shipping/shipping.hpp"
#include "choreo/store/store.hpp"
#include "choreo/testing/test_database.hpp"
#include "choreo/testing/testing.hpp"
#include "support.hpp"

namespace choreo::admin {
namespace {

using choreo::testing::DbKind, choreo::testing::TestDatabase, choreo::testing::TestVhost;
using std::chrono::hours, std::chrono::seconds;

std::string Ago(std::chrono::seconds ago) { return contracts::FormatRfc3339(std::chrono::system_clock::now() - ago); }

std::int64_t MsAgo(std::chrono::seconds ago) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             (std::chrono::system_clock::now() - ago).time_since_epoch())
      .count();
}

struct CliRun {
  int code = -1;
  std::string out;
  std::string err;
};

class AuditIt : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    for (const char* c : kAuditComponents) dbs_[c] = std::make_unique<TestDatabase>(GetParam(), std::string("audit_") + c);
    for (const char* c : kAuditComponents) stores_[c] = std::make_unique<store::Store>(dbs_[c]->Url());
    Migrate("gateway", gateway::Migrations());
    Migrate("order", order::Migrations());
    Migrate("inventory", inventory::Migrations());
    Migrate("payment", payment::Migrations());
    Migrate("shipping", shipping::Migrations());
    Migrate("notification", notification::Migrations());
    ledger_ = std::make_unique<provider::Ledger>(*stores_["provider"], provider::LedgerOptions{});

    catalog_path_ = std::filesystem::temp_directory_path() / (choreo::testing::UniqueName("audit-catalog") + ".json");
    std::ofstream(catalog_path_) << R"({"items": [
      {"sku": "sku-a", "name": "A", "unit_price_minor": 1250, "currency": "EUR", "stock": 10},
      {"sku": "sku-b", "name": "B", "unit_price_minor": 450, "currency": "EUR", "stock": 5}]})";
    Seed();
  }

  void TearDown() override {
    ledger_.reset();
    stores_.clear();
    std::filesystem::remove(catalog_path_);
  }

  void Migrate(const std::string& component, const std::vector<store::Migration>& migrations) {
    stores_[component]->Migrate(component, migrations);
    outbox::InstallSchema(*stores_[component]);
  }

  template <class F>
  void In(const std::string& component, F&& f) {
    stores_[component]->InTransaction([&](store::Tx& tx) { f(tx); });
  }

  void Accept(const std::string& order_id) {
    In("gateway", [&](store::Tx& tx) {
      tx.Run("INSERT INTO gateway_orders (order_id, customer_id, request_json, idempotency_key, placed_at, "
             "created_at_ms) VALUES (?, 'c-1', '{}', NULL, ?, ?)",
             order_id, Ago(hours(1)), MsAgo(hours(1)));
    });
  }

  void OrderState(const std::string& order_id, const std::string& status, std::optional<std::string> reason,
                  std::int64_t total, std::chrono::seconds age = hours(1)) {
    const bool terminal = status == "confirmed" || status == "cancelled";
    In("order", [&](store::Tx& tx) {
      tx.Run("INSERT INTO order_states (order_id, status, reason, details, customer_id, total_minor, currency, "
             "shipment_id, sequence, terminal_emitted, terminal_at, created_at, updated_at) "
             "VALUES (?, ?, ?, NULL, 'c-1', ?, 'EUR', NULL, 3, ?, ?, ?, ?)",
             order_id, status, reason, total, terminal ? 1 : 0,
             terminal ? std::optional<std::string>(Ago(age)) : std::nullopt, Ago(age), Ago(age));
    });
  }

  void Reservation(const std::string& order_id, const std::string& state, std::optional<std::string> reason,
                   const std::string& sku, std::int64_t quantity) {
    In("inventory", [&](store::Tx& tx) {
      tx.Run("INSERT INTO inventory_reservations (order_id, reservation_id, state, release_reason, total_minor, "
             "currency, expires_at, shipping_address, created_at, updated_at) VALUES (?, ?, ?, ?, 0, 'EUR', ?, '{}', ?, ?)",
             order_id, "res-" + order_id, state, reason, Ago(seconds(0)), Ago(hours(1)), Ago(hours(1)));
      tx.Run("INSERT INTO inventory_reservation_lines (order_id, line_no, sku, quantity, unit_price_minor) "
             "VALUES (?, 0, ?, ?, 100)",
             order_id, sku, quantity);
    });
  }

  std::string Charge(const std::string& order_id, std::int64_t amount, const std::string& token) {
    provider::Reply reply = ledger_->Charge("charge:" + order_id, {order_id, amount, "EUR", token});
    return reply.body.at("charge_id").get<std::string>();
  }

  std::string Refund(const std::string& key, const std::string& charge_id, std::int64_t amount) {
    provider::Reply reply = ledger_->Refund(key, {charge_id, amount, "reservation_expired"});
    EXPECT_EQ(reply.status, 201) << reply.body.dump();
    return reply.body.at("refund_id").get<std::string>();
  }

  std::string Email(const std::string& order_id, const std::string& kind, const std::string& key_suffix = "") {
    provider::Reply reply =
        ledger_->SendEmail(kind + ":" + order_id + key_suffix, {"c@example.com", kind, order_id, "s", "b"});
    return reply.body.at("email_id").get<std::string>();
  }

  void Notified(const std::string& order_id, const std::string& kind, const std::string& email_id) {
    In("notification", [&](store::Tx& tx) {
      tx.Run("INSERT INTO notification_emails (order_id, kind, customer_id, recipient, idempotency_key, "
             "provider_message_id, sent_at) VALUES (?, ?, 'c-1', 'c@example.com', ?, ?, ?)",
             order_id, kind, kind + ":" + order_id, email_id, Ago(hours(1)));
    });
  }

  void Payment(const std::string& order_id, const std::string& status, const std::string& charge_id,
               std::int64_t amount, std::optional<std::string> refund_id = std::nullopt) {
    In("payment", [&](store::Tx& tx) {
      tx.Run("INSERT INTO payments (order_id, reservation_id, status, charge_id, amount_minor, currency, "
             "decline_reason, refund_id, refund_reason, created_at, refunded_at) "
             "VALUES (?, ?, ?, ?, ?, 'EUR', NULL, ?, NULL, ?, NULL)",
             order_id, "res-" + order_id, status, charge_id, amount, refund_id, Ago(hours(1)));
    });
  }

  // The same four orders as the unit test, now through every store.
  void Seed() {
    In("inventory", [&](store::Tx& tx) {
      inventory::SeedCatalog(tx, {{"sku-a", "A", 1250, "EUR", 10}, {"sku-b", "B", 450, "EUR", 5}});
      tx.Run("UPDATE inventory_stock SET available = 8, sold = 2 WHERE sku = 'sku-a'");
      tx.Run("INSERT INTO inventory_rejections (order_id, reason, skus, details, rejected_at) "
             "VALUES ('o-nostock', 'insufficient_stock', '[\"sku-b\"]', 'x', ?)",
             Ago(hours(1)));
    });
    for (const char* id : {"o-ok", "o-declined", "o-expired", "o-nostock"}) Accept(id);

    OrderState("o-ok", "confirmed", std::nullopt, 2500);
    Reservation("o-ok", "committed", std::nullopt, "sku-a", 2);
    const std::string ch1 = Charge("o-ok", 2500, "tok_ok");
    Payment("o-ok", "captured", ch1, 2500);
    In("shipping", [&](store::Tx& tx) {
      tx.Run("INSERT INTO shipping_bookings (order_id, reservation_id, outcome, shipment_id, carrier, country, "
             "decided_at) VALUES ('o-ok', 'res-o-ok', 'scheduled', 'shp-1', 'dhl', 'DE', ?)",
             Ago(hours(1)));
    });
    Notified("o-ok", "order_confirmed", Email("o-ok", "order_confirmed"));

    OrderState("o-declined", "cancelled", "payment_declined", 450);
    Reservation("o-declined", "released", "payment_declined", "sku-b", 1);
    Payment("o-declined", "declined", Charge("o-declined", 450, "tok_decline"), 450);
    Notified("o-declined", "order_cancelled", Email("o-declined", "order_cancelled"));

    OrderState("o-expired", "cancelled", "reservation_expired", 1250);
    Reservation("o-expired", "released", "expired", "sku-a", 1);
    expired_charge_ = Charge("o-expired", 1250, "tok_ok");
    const std::string rf = Refund("refund:o-expired", expired_charge_, 1250);
    Payment("o-expired", "captured", expired_charge_, 1250, rf);
    Notified("o-expired", "order_cancelled", Email("o-expired", "order_cancelled"));

    OrderState("o-nostock", "cancelled", "insufficient_stock", 0);
    Notified("o-nostock", "order_cancelled", Email("o-nostock", "order_cancelled"));
  }

  std::vector<std::string> StoreArgs() {
    std::vector<std::string> args;
    for (const char* c : kAuditComponents) args.push_back(std::string("--") + c + "-store=" + dbs_[c]->Url());
    args.push_back("--catalog=" + catalog_path_.string());
    return args;
  }

  CliRun Audit(std::vector<std::string> extra = {"--no-broker"}) {
    std::vector<std::string> args = {"audit"};
    for (auto& a : StoreArgs()) args.push_back(a);
    for (auto& a : extra) args.push_back(a);
    CliEnvironment env;
    std::istringstream in;
    std::ostringstream out, err;
    CliRun r;
    r.code = RunCli(args, env, in, out, err);
    r.out = out.str();
    r.err = err.str();
    return r;
  }

  // Exit 1, the check reported as violated, naming `id`.
  void ExpectViolation(const CliRun& r, const std::string& check, const std::string& id) {
    EXPECT_EQ(r.code, kExitFailure) << r.out << r.err;
    const std::string line_start = "VIOLATION " + check;
    auto at = r.out.find(line_start);
    ASSERT_NE(at, std::string::npos) << r.out;
    const std::string line = r.out.substr(at, r.out.find('\n', at) - at);
    EXPECT_NE(line.find(id), std::string::npos) << line;
  }

  std::map<std::string, std::unique_ptr<TestDatabase>> dbs_;
  std::map<std::string, std::unique_ptr<store::Store>> stores_;
  std::unique_ptr<provider::Ledger> ledger_;
  std::filesystem::path catalog_path_;
  std::string expired_charge_;
};

TEST_P(AuditIt, ConsistentStoresPass) {
  CliRun r = Audit();
  EXPECT_EQ(r.code, kExitOk) << r.out << r.err;
  EXPECT_NE(r.out.find("Result: OK"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("4 accepted, 1 confirmed, 3 cancelled"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("VIOLATION"), std::string::npos) << r.out;

  CliRun j = Audit({"--no-broker", "--json"});
  EXPECT_EQ(j.code, kExitOk) << j.out << j.err;
  nlohmann::json report = nlohmann::json::parse(j.out);
  EXPECT_TRUE(report["ok"].get<bool>());
  EXPECT_EQ(report["summary"]["captures"], 2);
  EXPECT_EQ(report["summary"]["refunds"], 1);
  EXPECT_EQ(report["summary"]["emails"], 4);
  EXPECT_EQ(report["summary"]["cancelled_by_reason"]["reservation_expired"], 1);
}

TEST_P(AuditIt, DoubleCapture) {
  // A second charge under another idempotency key: what a worker without the key would do.
  const std::string ch =
      ledger_->Charge("charge:o-ok:again", {"o-ok", 2500, "EUR", "tok_ok"}).body.at("charge_id").get<std::string>();
  CliRun r = Audit();
  ExpectViolation(r, "confirmed.payment", "o-ok (2 captures)");
  ExpectViolation(r, "ledger.agreement", ch);
}

TEST_P(AuditIt, MissingRefund) {
  In("provider", [&](store::Tx& tx) {
    tx.Run("DELETE FROM provider_refunds");
    tx.Run("DELETE FROM provider_idempotency WHERE idempotency_key LIKE 'refund:%'");
  });
  In("payment", [&](store::Tx& tx) { tx.Run("UPDATE payments SET refund_id = NULL"); });
  ExpectViolation(Audit(), "cancelled.payment", "o-expired");
}

TEST_P(AuditIt, StockDrift) {
  // A unit lost from the shelf (the store stays self-consistent: its CHECK holds).
  In("inventory", [&](store::Tx& tx) {
    tx.Run("UPDATE inventory_stock SET total = total - 1, available = available - 1 WHERE sku = 'sku-b'");
  });
  ExpectViolation(Audit(), "stock.conserved", "sku-b");
  // Without the catalog the store's own total is the reference, and that one holds.
  CliRun r = Audit({"--no-broker", "--catalog=none"});
  EXPECT_EQ(r.code, kExitOk) << r.out;

  // A unit sold that no committed reservation accounts for.
  In("inventory", [&](store::Tx& tx) {
    tx.Run("UPDATE inventory_stock SET available = available - 1, sold = sold + 1 WHERE sku = 'sku-a'");
  });
  ExpectViolation(Audit({"--no-broker", "--catalog=none"}), "stock.sold", "sku-a");
}

TEST_P(AuditIt, PendingOutboxRow) {
  In("inventory", [&](store::Tx& tx) {
    tx.Run("INSERT INTO choreo_outbox (message_id, exchange, routing_key, properties, body, created_at) "
           "VALUES ('m-1', 'inventory', 'inventory.reserved', '{}', '{}', ?)",
           MsAgo(seconds(30)));
  });
  ExpectViolation(Audit(), "outbox.drained", "inventory");
  // Thirty seconds old is in flight for a running system.
  CliRun r = Audit({"--no-broker", "--allow-in-flight"});
  EXPECT_EQ(r.code, kExitOk) << r.out;
  EXPECT_NE(r.out.find("1 still in flight"), std::string::npos) << r.out;
}

TEST_P(AuditIt, NonTerminalOrder) {
  Accept("o-stuck");
  OrderState("o-stuck", "paid", std::nullopt, 450);
  ExpectViolation(Audit(), "orders.terminal", "o-stuck");
  // An hour is beyond any in-flight allowance given here.
  ExpectViolation(Audit({"--no-broker", "--allow-in-flight=10m"}), "orders.terminal", "o-stuck");
  EXPECT_EQ(Audit({"--no-broker", "--allow-in-flight=2h"}).code, kExitOk);
}

TEST_P(AuditIt, MissingEmail) {
  In("provider", [&](store::Tx& tx) { tx.Run("DELETE FROM provider_emails WHERE order_id = 'o-declined'"); });
  In("notification", [&](store::Tx& tx) { tx.Run("DELETE FROM notification_emails WHERE order_id = 'o-declined'"); });
  ExpectViolation(Audit(), "cancelled.email", "o-declined");
}

TEST_P(AuditIt, ChargeForAnOrderNeverAccepted) {
  Charge("o-ghost", 999, "tok_ok");
  ExpectViolation(Audit(), "orders.accepted", "o-ghost");
  // Without the gateway's store the check cannot run, and says so.
  std::vector<std::string> args = {"--no-broker", "--gateway-store=none"};
  CliRun r = Audit(args);
  EXPECT_NE(r.out.find("SKIPPED   orders.accepted"), std::string::npos) << r.out;
}

TEST_P(AuditIt, UsageAndStoreErrors) {
  CliRun r = Audit({"--no-broker", "--order-store=sqlite:/nonexistent/dir/order.db"});
  EXPECT_EQ(r.code, kExitUsage) << r.out << r.err;
  EXPECT_NE(r.err.find("no SQLite database at '/nonexistent/dir/order.db'"), std::string::npos) << r.err;

  // A store of another component: its tables are missing.
  r = Audit({"--no-broker", "--order-store=" + dbs_["shipping"]->Url()});
  EXPECT_EQ(r.code, kExitFailure) << r.out << r.err;
  EXPECT_NE(r.err.find("cannot read the order store"), std::string::npos) << r.err;

  r = Audit({"--no-broker", "--catalog=/nonexistent/catalog.json"});
  EXPECT_EQ(r.code, kExitUsage) << r.err;
}

TEST_P(AuditIt, VarDirDefaults) {
  // Every store defaults to sqlite:<var dir>/data/<component>.db: --var-dir, else
  // CHOREO_VAR_DIR, else var.
  const auto dir = std::filesystem::temp_directory_path() / choreo::testing::UniqueName("audit-var");
  CliEnvironment env;
  std::istringstream in;
  {
    std::ostringstream out, err;
    EXPECT_EQ(RunCli({"audit", "--var-dir", dir.string(), "--no-broker"}, env, in, out, err), kExitUsage);
    EXPECT_NE(err.str().find("no SQLite database at '" + dir.string() + "/data/gateway.db'"), std::string::npos)
        << err.str();
  }
  {
    env.var_dir = dir.string() + "/";
    std::ostringstream out, err;
    EXPECT_EQ(RunCli({"audit", "--gateway-store=none", "--no-broker"}, env, in, out, err), kExitUsage);
    EXPECT_NE(err.str().find("'" + dir.string() + "/data/order.db'"), std::string::npos) << err.str();
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, AuditIt, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return choreo::testing::DbKindName(info.param); });

// The dead-letter part against the test broker, and the binary end to end.
class AuditBrokerIt : public AuditIt {
 protected:
  testing::RunResult Binary(std::vector<std::string> extra) {
    std::vector<std::string> args = {"audit"};
    for (auto& a : StoreArgs()) args.push_back(a);
    for (auto& a : extra) args.push_back(a);
    return testing::RunBinary(CHOREO_ADMIN_BINARY, args, "", {{"CHOREO_AMQP_URL", ""}, {"CHOREO_MGMT_URL", ""}});
  }
};

TEST_P(AuditBrokerIt, DeadLettersAreListedWithTheirReason) {
  TestVhost vhost("audit");
  amqp::Connection connection(amqp::ConnectionOptions{.url = vhost.AmqpUrl(), .connection_name = "audit-test"});
  testing::DeclareWorker(connection, "order");
  testing::DeadLetterSeed seed;
  seed.message = testing::OrderPlaced("o-poison");
  seed.error_message = "payload.lines[0].quantity must be >= 1";
  testing::SeedDeadLetters(connection, "order.dlq", {seed});
  const std::string mgmt = "--mgmt-url=" + choreo::testing::RequireEnv("CHOREO_TEST_MGMT_URL");

  testing::RunResult r = Binary({"--amqp-url=" + vhost.AmqpUrl(), mgmt});
  EXPECT_EQ(r.exit_code, kExitOk) << r.out << r.err;
  EXPECT_NE(r.out.find("WARNING   dlq.empty"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("order.dlq"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("contract_violation: payload.lines[0].quantity must be >= 1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("DLQs       1 messages"), std::string::npos) << r.out;

  r = Binary({"--amqp-url=" + vhost.AmqpUrl(), mgmt, "--fail-on-dlq", "--json"});
  EXPECT_EQ(r.exit_code, kExitFailure) << r.out << r.err;
  nlohmann::json report = nlohmann::json::parse(r.out);
  ASSERT_EQ(report["dead_letters"].size(), 1u) << r.out;
  EXPECT_EQ(report["dead_letters"][0]["queue"], "order.dlq");
  EXPECT_EQ(report["dead_letters"][0]["error_class"], "contract_violation");
  EXPECT_EQ(report["summary"]["dlq_messages"], 1);

  // Looking never removes anything.
  EXPECT_EQ(connection.InspectQueue("order.dlq").message_count, 1u);
}

TEST_P(AuditBrokerIt, UnreachableBrokerIsAWarning) {
  testing::RunResult r = Binary({"--amqp-url=amqp://guest:guest@127.0.0.1:1/", "--mgmt-url=http://127.0.0.1:1"});
  EXPECT_EQ(r.exit_code, kExitOk) << r.out << r.err;
  EXPECT_NE(r.out.find("warning: the dead-letter queues were not read"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("SKIPPED   dlq.empty"), std::string::npos) << r.out;
}

INSTANTIATE_TEST_SUITE_P(Broker, AuditBrokerIt, ::testing::Values(DbKind::kSqlite),
                         [](const auto& info) { return choreo::testing::DbKindName(info.param); });

}  // namespace
}  // namespace choreo::admin
