// The notification worker's facts reader against a store built by the worker's own
// migrations, on SQLite and PostgreSQL.
#include <tuple>

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
  // (order id, kind, provider message id), ordered by order id and kind.
  using Row = std::tuple<std::string, std::string, std::string>;
  std::vector<Row> read;
  for (const auto& e : ReadWith(facts::ReadNotifications)) read.emplace_back(e.order_id, e.kind, e.provider_message_id);
  EXPECT_EQ(read, (std::vector<Row>{{"o-1", "order_cancelled", "em-1"},
                                    {"o-1", "order_confirmed", "em-2"},
                                    {"o-2", "order_confirmed", "em-3"}}));
}

INSTANTIATE_TEST_SUITE_P(Stores, NotificationFacts, testing::EveryStore(), testing::StoreName);

}  // namespace
}  // namespace choreo::notification
