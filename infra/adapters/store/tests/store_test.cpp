// Pure unit tests: URL parsing, placeholder rewriting, option validation, error
// classification. No database is opened.
#include <stdexcept>

#include <gtest/gtest.h>

#include "choreo/store/errors.hpp"
#include "choreo/store/options.hpp"
#include "choreo/store/sql.hpp"

namespace choreo::store {
namespace {

TEST(ParseStoreUrl, SqliteForms) {
  EXPECT_EQ(ParseStoreUrl("sqlite:orders.db").sqlite_path, "orders.db");
  EXPECT_EQ(ParseStoreUrl("sqlite:/var/lib/choreo/orders.db").sqlite_path,
            "/var/lib/choreo/orders.db");
  EXPECT_EQ(ParseStoreUrl("sqlite:///var/lib/x.db").sqlite_path, "/var/lib/x.db");
  EXPECT_EQ(ParseStoreUrl("sqlite://data/x.db").sqlite_path, "data/x.db");
  const StoreUrl memory = ParseStoreUrl("sqlite::memory:");
  EXPECT_EQ(memory.dialect, Dialect::kSqlite);
  EXPECT_EQ(memory.sqlite_path, ":memory:");
}

TEST(ParseStoreUrl, PostgresBecomesKeywordValuePairs) {
  const StoreUrl url = ParseStoreUrl("postgresql://choreo@127.0.0.1:5450/choreo");
  EXPECT_EQ(url.dialect, Dialect::kPostgres);
  EXPECT_EQ(url.postgres_conninfo, "user=choreo host=127.0.0.1 port=5450 dbname=choreo");
}

TEST(ParseStoreUrl, PostgresPasswordEscapesAndQuery) {
  const StoreUrl url = ParseStoreUrl(
      "postgres://u%40x:p%3As%2Fw@db.example:5432/my%5Fdb?sslmode=disable&options=-csearch_path%3Ds1");
  EXPECT_EQ(url.postgres_conninfo,
            "password=p:s/w user=u@x host=db.example port=5432 dbname=my_db sslmode=disable "
            "options=-csearch_path=s1");
}

TEST(ParseStoreUrl, PostgresMinimalAndIpv6) {
  EXPECT_EQ(ParseStoreUrl("postgresql://").postgres_conninfo, "");
  EXPECT_EQ(ParseStoreUrl("postgresql:///choreo").postgres_conninfo, "dbname=choreo");
  EXPECT_EQ(ParseStoreUrl("postgresql://[::1]:5433/db").postgres_conninfo,
            "host=::1 port=5433 dbname=db");
}

TEST(ParseStoreUrl, RejectsBadUrls) {
  for (const char* url : {"mysql://x/y", "orders.db", "", "sqlite:", "postgresql://h:port/db",
                          "postgresql://h/db?options=-c%20x%3Dy", "postgresql://h/db%4", "postgresql://a,b/db"}) {
    EXPECT_THROW(ParseStoreUrl(url), std::invalid_argument) << url;
  }
}

TEST(ParseStoreUrl, ErrorDoesNotLeakPassword) {
  try {
    ParseStoreUrl("postgresql://u:secret@h:nope/db");
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& error) {
    EXPECT_EQ(std::string(error.what()).find("secret"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("u:***@h"), std::string::npos) << error.what();
  }
}

TEST(RewritePlaceholders, SqliteUnchanged) {
  EXPECT_EQ(RewritePlaceholders("SELECT ? WHERE a = ?", Dialect::kSqlite), "SELECT ? WHERE a = ?");
}

TEST(RewritePlaceholders, PostgresNumbersInOrder) {
  EXPECT_EQ(RewritePlaceholders("INSERT INTO t (a, b, c) VALUES (?, ?,?)", Dialect::kPostgres),
            "INSERT INTO t (a, b, c) VALUES ($1, $2,$3)");
  EXPECT_EQ(RewritePlaceholders("SELECT 1", Dialect::kPostgres), "SELECT 1");
}

TEST(RewritePlaceholders, PostgresSkipsLiteralsIdentifiersAndComments) {
  EXPECT_EQ(RewritePlaceholders("SELECT '?', 'it''s ?', ? FROM \"we?rd\" WHERE x = ?",
                                Dialect::kPostgres),
            "SELECT '?', 'it''s ?', $1 FROM \"we?rd\" WHERE x = $2");
  EXPECT_EQ(RewritePlaceholders("SELECT ? -- why?\n, ? /* what? */ , ?", Dialect::kPostgres),
            "SELECT $1 -- why?\n, $2 /* what? */ , $3");
  EXPECT_EQ(RewritePlaceholders("SELECT $$a?b$$, $tag$ ? $tag$, ?", Dialect::kPostgres),
            "SELECT $$a?b$$, $tag$ ? $tag$, $1");
}

TEST(RewritePlaceholders, PostgresUnterminatedLiteralIsCopied) {
  EXPECT_EQ(RewritePlaceholders("SELECT ?, 'oops ?", Dialect::kPostgres), "SELECT $1, 'oops ?");
}

TEST(StoreOptions, DefaultsAreValid) {
  StoreOptions options;
  EXPECT_NO_THROW(options.Validate());
  EXPECT_EQ(options.url, "sqlite:choreo.db");
}

TEST(StoreOptions, ValidateRejectsNonsense) {
  auto invalid = [](auto mutate) {
    StoreOptions options;
    mutate(options);
    EXPECT_THROW(options.Validate(), std::invalid_argument);
  };
  invalid([](StoreOptions& o) { o.url = ""; });
  invalid([](StoreOptions& o) { o.url = "redis://x"; });
  invalid([](StoreOptions& o) { o.pool_size = 0; });
  invalid([](StoreOptions& o) { o.busy_timeout = std::chrono::milliseconds(-1); });
  invalid([](StoreOptions& o) { o.acquire_timeout = std::chrono::milliseconds(0); });
  invalid([](StoreOptions& o) { o.connect_timeout = std::chrono::seconds(0); });
  invalid([](StoreOptions& o) { o.transient_retries = -1; });
  invalid([](StoreOptions& o) { o.retry_backoff = std::chrono::milliseconds(-5); });
  invalid([](StoreOptions& o) { o.idle_transaction_timeout = std::chrono::milliseconds(-1); });
}

TEST(IsTransientSqlState, RetryableStates) {
  for (const char* state : {"40001", "40P01", "08006", "08001", "57P01", "25P03"}) {
    EXPECT_TRUE(IsTransientSqlState(state)) << state;
  }
  for (const char* state : {"23505", "42P01", "42601", "22P02", ""}) {
    EXPECT_FALSE(IsTransientSqlState(state)) << state;
  }
}

}  // namespace
}  // namespace choreo::store
