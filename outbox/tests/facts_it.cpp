// The outbox's facts reader against the outbox schema, on SQLite and PostgreSQL: rows
// appended through Append, one of them sent and one failed once.
#include "choreo/outbox/facts.hpp"
#include "choreo/outbox/inbox.hpp"
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

// An order's messages as choreo-admin trace reads them: its outbox rows (with the
// traceparent they were sent with) and its inbox rows, nobody else's.
TEST_P(OutboxFacts, ReadsOneOrdersProducedAndHandledMessages) {
  const std::string tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  store_->InTransaction([&](store::Tx& tx) {
    Append(tx, {.message_id = "p-1", .exchange = "orders", .routing_key = "order.placed", .body = "{}",
                .type = "order.placed", .correlation_id = "o-1", .app_id = "gateway",
                .headers = {{"traceparent", tp}}});
    Append(tx, {.message_id = "p-2", .exchange = "orders", .routing_key = "order.placed", .body = "{}",
                .correlation_id = "o-2"});
    InboxRecord r{.consumer = "payment", .message_id = "h-1", .correlation_id = "o-1",
                  .event_type = "inventory.reserved", .producer = "inventory", .published_at_ms = 1000,
                  .attempt = 3, .replays = 1, .trace_id = "4bf92f3577b34da6a3ce929d0e0e4736",
                  .span_id = "00000000000000b1", .parent_span_id = "00f067aa0ba902b7",
                  .link_span_id = "00000000000000a9"};
    EXPECT_TRUE(TryRecord(tx, r));
    EXPECT_FALSE(TryRecord(tx, r)) << "the same message again is a duplicate";
    r.message_id = "h-2";
    r.correlation_id = "o-2";
    EXPECT_TRUE(TryRecord(tx, r));
    EXPECT_TRUE(TryRecord(tx, "payment", "h-3"));  // the short form: no order
  });
  const auto produced = ReadWith([](store::Tx& tx) { return facts::ReadProducedOf(tx, "o-1"); });
  ASSERT_EQ(produced.size(), 1u);
  EXPECT_EQ(produced[0].message_id, "p-1");
  EXPECT_EQ(produced[0].event_type, "order.placed");
  EXPECT_EQ(produced[0].producer, "gateway");
  EXPECT_EQ(produced[0].traceparent, tp);
  EXPECT_FALSE(produced[0].sent_at_ms);

  const auto handled = ReadWith([](store::Tx& tx) { return ReadInboxOf(tx, "o-1"); });
  ASSERT_EQ(handled.size(), 1u);
  EXPECT_EQ(handled[0].message_id, "h-1");
  EXPECT_EQ(handled[0].event_type, "inventory.reserved");
  EXPECT_EQ(handled[0].producer, "inventory");
  EXPECT_EQ(handled[0].published_at_ms, 1000);
  EXPECT_GT(handled[0].received_at_ms, 1000);
  EXPECT_EQ(handled[0].attempt, 3);
  EXPECT_EQ(handled[0].replays, 1);
  EXPECT_EQ(handled[0].span_id, "00000000000000b1");
  EXPECT_EQ(handled[0].parent_span_id, "00f067aa0ba902b7");
  EXPECT_EQ(handled[0].link_span_id, "00000000000000a9");
}

INSTANTIATE_TEST_SUITE_P(Stores, OutboxFacts, testing::EveryStore(), testing::StoreName);

}  // namespace
}  // namespace choreo::outbox
