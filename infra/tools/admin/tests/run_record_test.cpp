// The run record reader of choreo-admin (run_record.hpp): parsing the text infra/up writes
// (infra/lib/record.sh) and the precedence of explicit URLs over recorded ones. No I/O:
// the file round trip with the shell writer is in tests/supervision (run_record_it).
#include "choreo/admin/run_record.hpp"

#include <gtest/gtest.h>

namespace choreo::admin {
namespace {

constexpr const char* kClusterRecord =
    "# choreo run record, written by infra/up at 2026-12-07T00:00:00Z\n"
    "profile cluster\n"
    "cluster choreo-c 3 5772 15772 25772 /srv/var/cluster\n"
    "process broker choreo-c1@localhost 5772 /srv/var/cluster/node1/rabbit.pid /srv/var/cluster/node1/log\n"
    "postgresql 5433 /srv/var/pg\n"
    "broker_mode local\n"
    "amqp_url amqp://guest:guest@127.0.0.1:5772/,amqp://guest:guest@127.0.0.1:5773/\n"
    "mgmt_url http://127.0.0.1:15772,http://127.0.0.1:15773\n"
    "service worker order-worker-1 9101 /srv/var/log/order-worker-1.log\n"
    "store order postgresql://choreo@127.0.0.1:5433/choreo_order\n"
    "service worker order-worker-2 9201 /srv/var/log/order-worker-2.log\n"
    "store order postgresql://choreo@127.0.0.1:5433/other\n"
    "store payment postgresql://choreo@db:5432/pay?password=s3cret\r\n"
    "\n"
    "store\n"
    "store gateway\n";

TEST(RunRecord, ParsesProfileEndpointsAndStores) {
  const RunRecord r = ParseRunRecord(kClusterRecord);
  EXPECT_EQ(r.profile, "cluster");
  EXPECT_EQ(r.amqp_url, "amqp://guest:guest@127.0.0.1:5772/,amqp://guest:guest@127.0.0.1:5773/");
  EXPECT_EQ(r.mgmt_url, "http://127.0.0.1:15772,http://127.0.0.1:15773");
  ASSERT_EQ(r.stores.size(), 2u);
  // Replicas record their shared store each; the first entry counts.
  EXPECT_EQ(r.stores.at("order"), "postgresql://choreo@127.0.0.1:5433/choreo_order");
  // A password in the URL is kept as is (the file is the owner's only); CR is trimmed.
  EXPECT_EQ(r.stores.at("payment"), "postgresql://choreo@db:5432/pay?password=s3cret");
  EXPECT_EQ(r.stores.count("gateway"), 0u) << "a store line without a URL is no store";
}

TEST(RunRecord, ServicesWithTheirPortsInTheOrderStarted) {
  const RunRecord r = ParseRunRecord(std::string(kClusterRecord) +
                                     "service gateway gateway-1 8080 /srv/var/log/gateway-1.log\n"
                                     "service provider provider - /srv/var/log/provider.log\n"
                                     "service worker order-worker-1 9999 /srv/var/log/again.log\n"
                                     "service worker broken 70000 /srv/var/log/broken.log\n"
                                     "service worker no-port\n"
                                     "service console console 8070 /srv/var/log/a log with blanks.log\n");
  ASSERT_EQ(r.services.size(), 6u);
  EXPECT_EQ(r.services[0].kind, "worker");
  EXPECT_EQ(r.services[0].name, "order-worker-1");
  EXPECT_EQ(r.services[0].port, std::optional<uint16_t>(9101)) << "the first entry of a name wins";
  EXPECT_EQ(r.services[1].name, "order-worker-2");
  EXPECT_EQ(r.services[1].port, std::optional<uint16_t>(9201));
  EXPECT_EQ(r.services[2].kind, "gateway");
  EXPECT_EQ(r.services[2].port, std::optional<uint16_t>(8080));
  EXPECT_EQ(r.services[3].name, "provider");
  EXPECT_FALSE(r.services[3].port) << "'-' is no port";
  EXPECT_EQ(r.services[4].name, "broken");
  EXPECT_FALSE(r.services[4].port) << "out of range";
  EXPECT_EQ(r.services[5].kind, "console");
  EXPECT_EQ(r.services[5].port, std::optional<uint16_t>(8070));
}

TEST(RunRecord, EmptyOrForeignTextGivesNothing) {
  EXPECT_TRUE(ParseRunRecord("").profile.empty());
  const RunRecord r = ParseRunRecord("# only a comment\nsomething else entirely\n");
  EXPECT_TRUE(r.amqp_url.empty());
  EXPECT_TRUE(r.mgmt_url.empty());
  EXPECT_TRUE(r.stores.empty());
  EXPECT_TRUE(r.services.empty());
}

TEST(RunRecord, PathIsUnderTheVarDir) {
  EXPECT_EQ(RunRecordPath(""), std::filesystem::path("var/run/record"));
  EXPECT_EQ(RunRecordPath("/srv/var"), std::filesystem::path("/srv/var/run/record"));
}

TEST(RunRecord, ExplicitUrlsWinRecordedOnesFillTheGaps) {
  const RunRecord r = ParseRunRecord(kClusterRecord);

  CliEnvironment nothing_given;
  FillFromRunRecord(nothing_given, r);
  EXPECT_EQ(nothing_given.amqp_url, r.amqp_url);
  EXPECT_EQ(nothing_given.mgmt_url, r.mgmt_url);
  EXPECT_EQ(nothing_given.recorded_stores, r.stores);

  CliEnvironment given;
  given.amqp_url = "amqp://me@elsewhere:5672/";
  given.mgmt_url = "http://elsewhere:15672";
  given.store_url = "sqlite:/tmp/x.db";
  FillFromRunRecord(given, r);
  EXPECT_EQ(given.amqp_url, "amqp://me@elsewhere:5672/");
  EXPECT_EQ(given.mgmt_url, "http://elsewhere:15672");
  EXPECT_EQ(given.store_url, "sqlite:/tmp/x.db");
}

}  // namespace
}  // namespace choreo::admin
