// Round trips through rabbitmq-c's own wire encoder and decoder (no network).
#include <gtest/gtest.h>

#include <vector>

#include "choreo/amqp/message.hpp"
#include "choreo/amqp/publisher.hpp"
#include "codec.hpp"
#include "message_support.hpp"

namespace choreo::amqp {
namespace {

using detail::Pool;

FieldTable WireRoundTrip(const FieldTable& in) {
  Pool encode_pool;
  amqp_table_t table = detail::ToAmqpTable(in, encode_pool.Get());
  std::vector<char> buffer(65536);
  amqp_bytes_t bytes{buffer.size(), buffer.data()};
  size_t offset = 0;
  EXPECT_EQ(amqp_encode_table(bytes, &table, &offset), AMQP_STATUS_OK);
  bytes.len = offset;
  Pool decode_pool;
  amqp_table_t decoded{};
  size_t read = 0;
  EXPECT_EQ(amqp_decode_table(bytes, decode_pool.Get(), &decoded, &read), AMQP_STATUS_OK);
  EXPECT_EQ(read, offset);
  return detail::FromAmqpTable(decoded);
}

Timestamp At(int64_t seconds) { return Timestamp(std::chrono::seconds(seconds)); }

// What RabbitMQ puts on a message rejected twice from "work" (most recent first).
FieldTable XDeathHeaders() {
  FieldTable rejected{{"count", int64_t{2}},
                      {"reason", "rejected"},
                      {"queue", "work"},
                      {"time", At(1700000000)},
                      {"exchange", "orders"},
                      {"routing-keys", FieldArray{FieldValue("order.created")}}};
  FieldTable expired{{"count", int64_t{1}},
                     {"reason", "expired"},
                     {"queue", "work.retry.1s"},
                     {"time", At(1699999999)},
                     {"exchange", ""},
                     {"routing-keys", FieldArray{FieldValue("work.retry.1s"), FieldValue("x")}},
                     {"original-expiration", "1000"}};
  return FieldTable{{"x-death", FieldArray{FieldValue(rejected), FieldValue(expired)}},
                    {"x-first-death-reason", "expired"},
                    {"x-first-death-queue", "work.retry.1s"}};
}

TEST(FieldTable, SetFindErase) {
  FieldTable t;
  t.Set("a", 1).Set("b", "x").Set("a", 2);
  EXPECT_EQ(t.Size(), 2u);
  EXPECT_EQ(t.GetInt("a"), 2);
  EXPECT_EQ(t.GetString("b"), "x");
  EXPECT_EQ(t.GetString("a"), std::nullopt);
  EXPECT_TRUE(t.Erase("a"));
  EXPECT_FALSE(t.Erase("a"));
  EXPECT_EQ(t.Find("a"), nullptr);
}

TEST(FieldTable, WireRoundTripOfEveryKind) {
  FieldTable nested{{"inner", int64_t{-7}}, {"deeper", FieldTable{{"flag", false}}}};
  FieldTable in{{"void", FieldValue()},
                {"bool", true},
                {"int", int64_t{1} << 40},
                {"negative", -3},
                {"double", 2.5},
                {"string", "h\xc3\xa9llo"},
                {"empty", ""},
                {"time", At(1234567890)},
                {"array", FieldArray{FieldValue(1), FieldValue("two"), FieldValue(nested)}},
                {"empty-array", FieldArray{}},
                {"table", nested},
                {"empty-table", FieldTable{}}};
  EXPECT_EQ(WireRoundTrip(in), in);
}

TEST(FieldTable, NarrowIntegersWiden) {
  amqp_table_entry_t entries[3];
  entries[0].key = amqp_cstring_bytes("i8");
  entries[0].value.kind = AMQP_FIELD_KIND_I8;
  entries[0].value.value.i8 = -5;
  entries[1].key = amqp_cstring_bytes("u32");
  entries[1].value.kind = AMQP_FIELD_KIND_U32;
  entries[1].value.value.u32 = 4000000000u;
  entries[2].key = amqp_cstring_bytes("f32");
  entries[2].value.kind = AMQP_FIELD_KIND_F32;
  entries[2].value.value.f32 = 0.5f;
  FieldTable t = detail::FromAmqpTable(amqp_table_t{3, entries});
  EXPECT_EQ(t.GetInt("i8"), -5);
  EXPECT_EQ(t.GetInt("u32"), 4000000000);
  ASSERT_NE(t.Find("f32"), nullptr);
  EXPECT_EQ(*t.Find("f32")->As<double>(), 0.5);
}

TEST(XDeath, ParsesRabbitMqHeader) {
  FieldTable headers = WireRoundTrip(XDeathHeaders());
  std::vector<XDeath> deaths = ParseXDeath(headers);
  ASSERT_EQ(deaths.size(), 2u);
  EXPECT_EQ(deaths[0].count, 2);
  EXPECT_EQ(deaths[0].reason, "rejected");
  EXPECT_EQ(deaths[0].queue, "work");
  EXPECT_EQ(deaths[0].exchange, "orders");
  EXPECT_EQ(deaths[0].routing_keys, std::vector<std::string>{"order.created"});
  EXPECT_EQ(deaths[0].time, At(1700000000));
  EXPECT_EQ(deaths[1].reason, "expired");
  EXPECT_EQ(deaths[1].routing_keys, (std::vector<std::string>{"work.retry.1s", "x"}));
  EXPECT_EQ(DeathCount(headers, "work"), 2);
  EXPECT_EQ(DeathCount(headers, "work.retry.1s"), 1);
  EXPECT_EQ(DeathCount(headers, "other"), 0);
}

TEST(XDeath, AbsentOrMalformed) {
  EXPECT_TRUE(ParseXDeath(FieldTable{}).empty());
  EXPECT_TRUE(ParseXDeath(FieldTable{{"x-death", "nope"}}).empty());
  std::vector<XDeath> d = ParseXDeath(FieldTable{{"x-death", FieldArray{FieldValue(1), FieldValue(FieldTable{})}}});
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].count, 0);
  EXPECT_FALSE(d[0].time.has_value());
}

TEST(Properties, RoundTripAndPublishSeqHeader) {
  Message m = test::WithEveryProperty("id-1", std::string("bin\0ary", 7));
  m.headers.Set("x-trace", "abc").Set(kPublishSeqHeader, 1);  // overwritten by the stamp
  Pool pool;
  amqp_basic_properties_t p = detail::ToAmqpProperties(m, pool.Get(), 42);
  Message back = detail::FromAmqpMessage(p, amqp_bytes_t{m.body.size(), m.body.data()});
  test::ExpectSameProperties(back, m);
  EXPECT_EQ(back.delivery_mode, DeliveryMode::kPersistent);
  EXPECT_EQ(back.headers.GetString("x-trace"), "abc");
  EXPECT_EQ(back.headers.GetInt(kPublishSeqHeader), 42);
  EXPECT_EQ(back.headers.Size(), 2u);

  Message plain;
  plain.delivery_mode = DeliveryMode::kTransient;
  p = detail::ToAmqpProperties(plain, pool.Get(), std::nullopt);
  EXPECT_EQ(p._flags & AMQP_BASIC_HEADERS_FLAG, 0);
  back = detail::FromAmqpMessage(p, amqp_bytes_t{0, nullptr});
  EXPECT_EQ(back.delivery_mode, DeliveryMode::kTransient);
  EXPECT_TRUE(back.message_id.empty());
  EXPECT_FALSE(back.timestamp.has_value());
}

}  // namespace
}  // namespace choreo::amqp
