// The outbox's facts reader against the outbox schema, on SQLite and PostgreSQL: rows
// appended through Append, one of them sent and one failed once.
#include "choreo/outbox/facts.hpp"
#include "choreo/outbox/outbox.hpp"
#include "choreo/testing/store_fixture.hpp"

namespace choreo::outbox {
namespace {

class OutboxFacts : public testing::StoreFixture {
 protected:
  void SetUp() override { InstallSchema(OpenStore("obfacts")); }
};

TEST_P(OutboxFacts, ReadsEveryUnsentRowOldestFirst) {
  EXPECT_TRUE(ReadWith(facts::ReadPending).empty());
  const std::int64_t before = NowMs();
  store_->InTransaction([](store::Tx& tx) {
    for (const char* id : {"m-1", "m-2", "m-3"}) {
      Append(tx, {.message_id = id, .exchange = "orders", .routing_key = "order.placed", .body = "{}"});
    }
    tx.Run("UPDATE choreo_outbox SET sent_at = ? WHERE message_id = 'm-1'", NowMs());
    tx.Run("UPDATE choreo_outbox SET attempts = 2 WHERE message_id = 'm-3'");
  });
  const auto pending = ReadWith(facts::ReadPending);
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_GE(pending[0].created_at_ms, before);
  EXPECT_EQ(pending[0].attempts, 0);
  EXPECT_EQ(pending[1].attempts, 2);
}

INSTANTIATE_TEST_SUITE_P(Stores, OutboxFacts, testing::EveryStore(), testing::StoreName);

}  // namespace
}  // namespace choreo::outbox
