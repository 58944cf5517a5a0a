// The notification worker's facts reader against a store built by the worker's own
// migrations, on SQLite and PostgreSQL.
#include "choreo/notification/facts.hpp"
#include "choreo/notification/notification.hpp"
#include "choreo/testing/store_fixture.hpp"

namespace choreo::notification {
namespace {

class NotificationFacts : public testing::StoreFixture {
 protected:
  void SetUp() override { OpenStore("notefacts").Migrate("notification", Migrations()); }

  void Sent(const std::string& order_id, const std::string& kind, const std::string& message_id) {
    Exec("INSERT INTO notification_emails (order_id, kind, customer_id, recipient, idempotency_key, "
         "provider_message_id, sent_at) VALUES (?, ?, 'c-1', 'c@example.com', ?, ?, '2026-01-01T00:00:00Z')",
         order_id, kind, kind + ":" + order_id, message_id);
  }
};

TEST_P(NotificationFacts, ReadsEverySentEmailByOrderAndKind) {
  EXPECT_TRUE(ReadWith(facts::ReadNotifications).empty());
  Sent("o-2", "order_confirmed", "em-3");
  Sent("o-1", "order_confirmed", "em-2");
  Sent("o-1", "order_cancelled", "em-1");
  const auto emails = ReadWith(facts::ReadNotifications);
  ASSERT_EQ(emails.size(), 3u);
  EXPECT_EQ(emails[0].order_id, "o-1");
  EXPECT_EQ(emails[0].kind, "order_cancelled");
  EXPECT_EQ(emails[0].provider_message_id, "em-1");
  EXPECT_EQ(emails[1].kind, "order_confirmed");
  EXPECT_EQ(emails[1].provider_message_id, "em-2");
  EXPECT_EQ(emails[2].order_id, "o-2");
  EXPECT_EQ(emails[2].provider_message_id, "em-3");
}

INSTANTIATE_TEST_SUITE_P(Stores, NotificationFacts, testing::EveryStore(), testing::StoreName);

}  // namespace
}  // namespace choreo::notification
