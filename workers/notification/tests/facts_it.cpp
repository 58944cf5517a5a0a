// The notification worker's facts reader against a store built by the worker's own
// migrations, on SQLite and PostgreSQL.
#include <gtest/gtest.h>

#include "choreo/notification/facts.hpp"
#include "choreo/notification/notification.hpp"
#include "choreo/testing/test_database.hpp"

namespace choreo::notification {
namespace {

using testing::DbKind;

class NotificationFacts : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    db_ = std::make_unique<testing::TestDatabase>(GetParam(), "notefacts");
    store_ = std::make_unique<store::Store>(db_->Url());
    store_->Migrate("notification", Migrations());
  }

  void Sent(const std::string& order_id, const std::string& kind, const std::string& message_id) {
    store_->InTransaction([&](store::Tx& tx) {
      tx.Run(
          "INSERT INTO notification_emails (order_id, kind, customer_id, recipient, idempotency_key, "
          "provider_message_id, sent_at) VALUES (?, ?, 'c-1', 'c@example.com', ?, ?, '2026-01-01T00:00:00Z')",
          order_id, kind, kind + ":" + order_id, message_id);
    });
  }

  std::vector<facts::NotificationRecord> Read() {
    return store_->InTransaction([](store::Tx& tx) { return facts::ReadNotifications(tx); });
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<store::Store> store_;
};

TEST_P(NotificationFacts, ReadsEverySentEmailByOrderAndKind) {
  EXPECT_TRUE(Read().empty());
  Sent("o-2", "order_confirmed", "em-3");
  Sent("o-1", "order_confirmed", "em-2");
  Sent("o-1", "order_cancelled", "em-1");
  const auto emails = Read();
  ASSERT_EQ(emails.size(), 3u);
  EXPECT_EQ(emails[0].order_id, "o-1");
  EXPECT_EQ(emails[0].kind, "order_cancelled");
  EXPECT_EQ(emails[0].provider_message_id, "em-1");
  EXPECT_EQ(emails[1].kind, "order_confirmed");
  EXPECT_EQ(emails[1].provider_message_id, "em-2");
  EXPECT_EQ(emails[2].order_id, "o-2");
  EXPECT_EQ(emails[2].provider_message_id, "em-3");
}

INSTANTIATE_TEST_SUITE_P(Stores, NotificationFacts, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return testing::DbKindName(info.param); });

}  // namespace
}  // namespace choreo::notification
