// The outbox's facts reader against the outbox schema, on SQLite and PostgreSQL: rows
// appended through Append, one of them sent and one failed once.
#include <gtest/gtest.h>

#include "choreo/outbox/facts.hpp"
#include "choreo/outbox/outbox.hpp"
#include "choreo/testing/test_database.hpp"

namespace choreo::outbox {
namespace {

using testing::DbKind;

class OutboxFacts : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    db_ = std::make_unique<testing::TestDatabase>(GetParam(), "obfacts");
    store_ = std::make_unique<store::Store>(db_->Url());
    InstallSchema(*store_);
  }

  std::vector<facts::PendingRow> Read() {
    return store_->InTransaction([](store::Tx& tx) { return facts::ReadPending(tx); });
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<store::Store> store_;
};

TEST_P(OutboxFacts, ReadsEveryUnsentRowOldestFirst) {
  EXPECT_TRUE(Read().empty());
  const std::int64_t before = NowMs();
  store_->InTransaction([](store::Tx& tx) {
    for (const char* id : {"m-1", "m-2", "m-3"}) {
      Append(tx, {.message_id = id, .exchange = "orders", .routing_key = "order.placed", .body = "{}"});
    }
    tx.Run("UPDATE choreo_outbox SET sent_at = ? WHERE message_id = 'm-1'", NowMs());
    tx.Run("UPDATE choreo_outbox SET attempts = 2 WHERE message_id = 'm-3'");
  });
  const auto pending = Read();
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_GE(pending[0].created_at_ms, before);
  EXPECT_EQ(pending[0].attempts, 0);
  EXPECT_EQ(pending[1].attempts, 2);
}

INSTANTIATE_TEST_SUITE_P(Stores, OutboxFacts, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return testing::DbKindName(info.param); });

}  // namespace
}  // namespace choreo::outbox
