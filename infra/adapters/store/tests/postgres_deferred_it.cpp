// Integration tests of Tx::Defer on PostgreSQL (CHOREO_TEST_PG_URL): queued statements
// reach the server with the next statement, in one round trip, in the order issued; they
// run at commit if nothing follows; their failure fails the transaction with their own
// error; a connection lost under them is transient; and they never outlive their transaction.
#include <cstdint>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include <Poco/Data/Binding.h>

#include "choreo/store/locks.hpp"
#include "choreo/store/store.hpp"
#include "choreo/testing/tcp_proxy.hpp"
#include "choreo/testing/test_database.hpp"

namespace choreo::store {
namespace {

using Poco::Data::Keywords::bind;
using Poco::Data::Keywords::into;
using testing::DbKind;
using testing::TestDatabase;

class PostgresDeferredIt : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::make_unique<Store>(Options(db_.Url()));
    store_->InTransaction([](Tx& tx) { tx.RunScript("CREATE TABLE rows (id BIGINT PRIMARY KEY, label TEXT)"); });
  }

  static StoreOptions Options(const std::string& url) {
    StoreOptions options;
    options.url = url;
    options.pool_size = 1;          // one connection: a leftover would show in the next transaction
    options.transient_retries = 0;  // errors reach the test as classified
    return options;
  }

  std::string Labels() {
    return store_->InTransaction([](Tx& tx) {
      std::optional<std::string> labels;
      tx.Run("SELECT string_agg(label, ',' ORDER BY id) FROM rows", into(labels));
      return labels.value_or("");
    });
  }

  static constexpr const char* kInsert = "INSERT INTO rows (id, label) VALUES (?, ?)";
  TestDatabase db_{DbKind::kPostgres, "pgdefer"};
  std::unique_ptr<Store> store_;
};

TEST_F(PostgresDeferredIt, QueuedStatementsGoWithTheNextStatementInOneRoundTrip) {
  // The store talks to the server through a proxy that counts what the client sends.
  const std::string url = db_.Url();
  const auto at = url.find("@127.0.0.1:");
  ASSERT_NE(at, std::string::npos) << "CHOREO_TEST_PG_URL is expected on 127.0.0.1";
  const auto port_at = at + std::string("@127.0.0.1:").size();
  const auto port_end = url.find('/', port_at);
  choreo::testing::TcpProxy proxy("127.0.0.1", static_cast<std::uint16_t>(std::stoi(url.substr(port_at, port_end - port_at))));
  proxy.Open();
  Store store(Options(url.substr(0, port_at) + std::to_string(proxy.Port()) + url.substr(port_end)));
  const std::string select = "SELECT string_agg(label, ',' ORDER BY id) FROM rows WHERE id > ?";
  store.InTransaction([&](Tx& tx) {  // prepares both statements (two round trips each, once)
    tx.Defer(kInsert, 0, "warm-up");
    tx.Run(select, 0);
  });

  constexpr int kQueued = 20;
  int reads = 0;
  std::string labels;
  store.InTransaction([&](Tx& tx) {
    const int before = proxy.ClientReads();
    for (int i = 1; i <= kQueued; ++i) tx.Defer(kInsert, i, std::to_string(i));
    EXPECT_EQ(proxy.ClientReads(), before) << "a queued statement was sent on its own";
    std::optional<std::string> read;
    tx.Run(select, into(read), 0);
    reads = proxy.ClientReads() - before;
    labels = read.value_or("");
  });
  // Run one at a time, they cost a round trip each: 21 here.
  EXPECT_LE(reads, 2) << kQueued << " queued statements and one more took " << reads << " round trips";
  std::string expected;
  for (int i = 1; i <= kQueued; ++i) expected += (i > 1 ? "," : "") + std::to_string(i);
  EXPECT_EQ(labels, expected) << "the queued rows, in the order issued, before the statement that followed";
}

TEST_F(PostgresDeferredIt, QueuedStatementsRunAtCommitAndDieWithARollback) {
  store_->InTransaction([](Tx& tx) { tx.Defer(kInsert, 1, "committed"); });
  EXPECT_EQ(Labels(), "committed");

  EXPECT_THROW(store_->InTransaction([](Tx& tx) {
    tx.Defer(kInsert, 2, "rolled back");
    throw std::runtime_error("handler failed");
  }),
               std::runtime_error);
  // Nothing of it ran, and the next transaction on the same connection does not run it.
  store_->InTransaction([](Tx& tx) { tx.Defer(kInsert, 3, "next"); });
  EXPECT_EQ(Labels(), "committed,next");
}

TEST_F(PostgresDeferredIt, AQueuedFailureFailsTheTransactionWithItsOwnError) {
  store_->InTransaction([](Tx& tx) { tx.Run(kInsert, 1, "one"); });
  auto failure = [&](auto&& body) -> std::string {
    try {
      store_->InTransaction(body);
    } catch (const TransientStoreError& error) {
      return std::string("transient: ") + error.what();
    } catch (const StoreError& error) {
      return std::string("permanent: ") + error.what();
    }
    return "no error";
  };
  // Surfacing at the next statement, which the server skips...
  std::size_t after = 99;
  const std::string at_next = failure([&](Tx& tx) {
    tx.Defer(kInsert, 2, "two");
    tx.Defer(kInsert, 1, "duplicate");
    after = tx.Run(kInsert, 3, "three");
  });
  EXPECT_TRUE(at_next.starts_with("permanent: ")) << at_next;
  EXPECT_NE(at_next.find("duplicate key"), std::string::npos) << at_next;
  EXPECT_NE(at_next.find("INSERT INTO rows"), std::string::npos) << "names the queued statement: " << at_next;
  EXPECT_EQ(after, 99u) << "the statement after a failed one reported a result";
  // ...or at commit, when nothing follows.
  const std::string at_commit = failure([&](Tx& tx) { tx.Defer(kInsert, 1, "duplicate"); });
  EXPECT_NE(at_commit.find("duplicate key"), std::string::npos) << at_commit;
  // A bad parameter count is refused when queued, as Run refuses it.
  EXPECT_TRUE(failure([&](Tx& tx) { tx.Defer(kInsert, 4); }).starts_with("permanent: "));
  // None of those transactions left a row, and the connection works.
  EXPECT_EQ(Labels(), "one");
  store_->InTransaction([](Tx& tx) { tx.Defer(kInsert, 5, "five"); });
  EXPECT_EQ(Labels(), "one,five");
}

TEST_F(PostgresDeferredIt, AConnectionLostUnderQueuedStatementsIsTransientAndReplaced) {
  Store killer(Options(db_.Url()));
  bool transient = false;
  try {
    store_->InTransaction([&](Tx& tx) {
      std::int64_t pid = 0;
      tx.Run("SELECT pg_backend_pid()", into(pid));
      tx.Run("SELECT 1");  // prepared now, so that below nothing but the pipeline talks to the server
      tx.Defer(kInsert, 1, "lost");
      // Waits (up to 10 s) until the backend has exited, so the next statement meets a closed connection.
      killer.InTransaction([&](Tx& k) { k.Run("SELECT pg_terminate_backend(?, 10000)", pid); });
      tx.Run("SELECT 1");  // the pipeline meets the closed connection
    });
  } catch (const TransientStoreError&) {
    transient = true;
  }
  EXPECT_TRUE(transient) << "a lost connection must be worth a retry";
  // The pool replaced the connection: the next transaction works, and nothing was lost
  // that had been committed, nor committed that had been queued.
  store_->InTransaction([](Tx& tx) { tx.Defer(kInsert, 2, "after"); });
  EXPECT_EQ(Labels(), "after");
}

TEST_F(PostgresDeferredIt, WhatRunsThroughPocoSeesTheQueuedRows) {
  store_->InTransaction([](Tx& tx) {
    tx.Defer(kInsert, 1, "queued");
    Poco::Int64 n = -1;
    // A bind(...) part sends the statement through Poco::Data, past the statement cache.
    tx.Run("SELECT COUNT(*) FROM rows WHERE label = ?", into(n), bind(std::string("queued")));
    EXPECT_EQ(n, 1);
    tx.Defer(kInsert, 2, "before a script");
    tx.RunScript("UPDATE rows SET label = upper(label)");
  });
  EXPECT_EQ(Labels(), "QUEUED,BEFORE A SCRIPT");
}

TEST_F(PostgresDeferredIt, ALazyTransactionTurnsOffSynchronousCommitForItselfOnly) {
  auto setting = [&](Durability durability) {
    std::string value;
    store_->InTransaction([&](Tx& tx) { tx.Run("SELECT current_setting('synchronous_commit')", into(value)); },
                          durability);
    return value;
  };
  EXPECT_EQ(setting(Durability::kLazy), "off");
  EXPECT_EQ(setting(Durability::kDurable), "on") << "a lazy transaction's setting outlived it";
}

}  // namespace
}  // namespace choreo::store
