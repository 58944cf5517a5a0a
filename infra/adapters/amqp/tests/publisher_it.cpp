#include <set>
#include <string>

#include "it_support.hpp"

namespace choreo::amqp::test {
namespace {

using namespace std::chrono_literals;
using choreo::testing::WaitFor;

class PublisherIt : public VhostSuite {};

TEST_F(PublisherIt, UnroutableMandatoryPublishIsReturnedNotConfirmed) {
  Connection conn(Options("pub-unroutable"));
  conn.DeclareExchange(ExchangeSpec{.name = "no-bindings", .type = "direct"});
  Publisher publisher(conn);
  uint64_t seq = publisher.Publish("no-bindings", "anything", TextMessage("u-1", "lost?"));
  std::vector<PublishResult> results = publisher.WaitForConfirms(10s);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].seq, seq);
  EXPECT_EQ(results[0].outcome, PublishOutcome::kReturned);
  EXPECT_EQ(results[0].reply_code, kReplyNoRoute);
  EXPECT_EQ(results[0].reply_text, "NO_ROUTE");
}

TEST_F(PublisherIt, InterleavedReturnsAreMatchedExactlyUnderPipelining) {
  constexpr int kCount = 3000;
  Connection conn(Options("pub-interleaved"));
  conn.DeclareExchange(ExchangeSpec{.name = "mixed", .type = "direct"});
  conn.DeclareQueue(QueueSpec::Quorum("mixed-q"));
  conn.Bind(BindingSpec{.queue = "mixed-q", .exchange = "mixed", .routing_key = "routable"});
  Publisher publisher(conn, PublisherOptions{.window = 256});

  std::set<uint64_t> expect_returned;
  std::set<uint64_t> expect_confirmed;
  std::vector<PublishResult> results;
  std::size_t max_outstanding = 0;
  for (int i = 0; i < kCount; ++i) {
    // Irregular pattern, including runs of consecutive unroutable messages.
    const bool unroutable = i % 7 == 3 || (i % 101 >= 50 && i % 101 < 53);
    uint64_t seq = publisher.Publish("mixed", unroutable ? "nowhere" : "routable",
                                     TextMessage("i-" + std::to_string(i), std::to_string(i)));
    (unroutable ? expect_returned : expect_confirmed).insert(seq);
    max_outstanding = std::max(max_outstanding, publisher.Outstanding());
    if (i % 97 == 0) {
      for (auto& r : publisher.PollConfirms()) results.push_back(std::move(r));
    }
  }
  for (auto& r : publisher.WaitForConfirms(60s)) results.push_back(std::move(r));
  EXPECT_GT(max_outstanding, 1u) << "publishes should have been pipelined";
  EXPECT_LE(max_outstanding, 256u);

  std::set<uint64_t> returned;
  std::set<uint64_t> confirmed;
  for (const PublishResult& r : results) {
    if (r.outcome == PublishOutcome::kReturned) {
      EXPECT_EQ(r.reply_code, kReplyNoRoute);
      returned.insert(r.seq);
    } else if (r.outcome == PublishOutcome::kConfirmed) {
      confirmed.insert(r.seq);
    } else {
      ADD_FAILURE() << "seq " << r.seq << " " << ToString(r.outcome) << " " << r.reply_text;
    }
  }
  EXPECT_EQ(results.size(), static_cast<std::size_t>(kCount));
  EXPECT_EQ(returned, expect_returned);
  EXPECT_EQ(confirmed, expect_confirmed);
  EXPECT_TRUE(WaitFor(
      [&] { return conn.InspectQueue("mixed-q").message_count == expect_confirmed.size(); },
      10s));
}

TEST_F(PublisherIt, OverflowRejectPublishIsNacked) {
  Connection conn(Options("pub-nack"));
  QueueSpec q;
  q.name = "tiny";
  q.queue_type = "classic";
  q.max_length = 2;
  q.overflow = "reject-publish";
  conn.DeclareQueue(q);
  Publisher publisher(conn);
  for (int i = 0; i < 5; ++i) publisher.Publish("", "tiny", TextMessage(std::to_string(i), "x"));
  std::vector<PublishResult> results = publisher.WaitForConfirms(10s);
  ASSERT_EQ(results.size(), 5u);
  int confirmed = 0;
  int nacked = 0;
  for (const auto& r : results) {
    confirmed += r.outcome == PublishOutcome::kConfirmed;
    nacked += r.outcome == PublishOutcome::kNacked;
  }
  EXPECT_EQ(confirmed, 2);
  EXPECT_EQ(nacked, 3);
}

TEST_F(PublisherIt, MissingExchangeClosesChannelAndPublisherRecovers) {
  Connection conn(Options("pub-404"));
  conn.DeclareQueue(QueueSpec::Quorum("after-404"));
  Publisher publisher(conn);
  const uint64_t generation = conn.Generation();
  uint64_t bad = publisher.Publish("no-such-exchange", "k", TextMessage("b", "b"));
  try {
    publisher.WaitForConfirms(10s);
    FAIL() << "expected ChannelClosedError";
  } catch (const ChannelClosedError& e) {
    EXPECT_EQ(e.ReplyCode(), kReplyNotFound) << e.what();
  }
  EXPECT_GT(conn.Generation(), generation);
  std::vector<PublishResult> results = publisher.PollConfirms();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].seq, bad);
  EXPECT_EQ(results[0].outcome, PublishOutcome::kFailed);
  EXPECT_EQ(results[0].reply_code, kReplyNotFound);

  // The channel is back in confirm mode.
  uint64_t good = publisher.Publish("", "after-404", TextMessage("g", "g"));
  results = publisher.WaitForConfirms(10s);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].seq, good);
  EXPECT_EQ(results[0].outcome, PublishOutcome::kConfirmed);
}

}  // namespace
}  // namespace choreo::amqp::test
