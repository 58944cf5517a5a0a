// Several relays on ONE PostgreSQL outbox, as replicas of a component run them: a commit
// of any producer wakes every relay through LISTEN/NOTIFY (no polling), though not for
// rows the producer's own relay has already taken, a broken LISTEN
// connection falls back to the sweep and comes back, and relays competing for rows
// publish every row exactly once.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include "choreo/amqp/connection.hpp"
#include "choreo/amqp/consumer.hpp"
#include "choreo/outbox/outbox.hpp"
#include "choreo/outbox/relay.hpp"
#include "choreo/testing/tcp_proxy.hpp"
#include "choreo/testing/test_database.hpp"
#include "choreo/testing/testing.hpp"
#include "test_route.hpp"

namespace choreo::outbox {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Long enough that a row published within kPromptly cannot have been found by a sweep.
constexpr auto kSweep = 10s;
constexpr auto kPromptly = 1s;

class RelayReplicasIt : public ::testing::Test {
 protected:
  void SetUp() override {
    vhost_ = std::make_unique<testing::TestVhost>("relayrep");
    db_ = std::make_unique<testing::TestDatabase>(testing::DbKind::kPostgres, "relayrep");
    // Two processes' stores on the same outbox.
    for (auto& s : stores_) s = std::make_unique<store::Store>(db_->Url());
    InstallSchema(*stores_[0]);
    amqp_ = std::make_unique<amqp::Connection>(amqp::ConnectionOptions{.url = vhost_->AmqpUrl()});
    const test::TestRoute route = test::DeclareTestRoute(*amqp_, "#");
    exchange_ = route.exchange;
    queue_ = route.queue;
    consumer_ = std::make_unique<amqp::Consumer>(*amqp_, amqp::ConsumerOptions{.queue = queue_, .prefetch = 512});
  }

  RelayOptions Options(std::chrono::milliseconds sweep = kSweep) {
    RelayOptions o;
    o.amqp.url = vhost_->AmqpUrl();
    o.sweep_interval = sweep;
    o.listen_retry_max = 200ms;
    return o;
  }

  // Appends one row in a transaction of producer `p`'s store. No Relay::Notify: only the
  // database can tell a relay about it.
  void Produce(int p, const std::string& id, const std::string& order = "order-1") {
    stores_[p]->InTransaction([&](store::Tx& tx) {
      Append(tx, OutgoingMessage{.message_id = id, .exchange = exchange_, .routing_key = "e",
                                 .body = R"({"id":")" + id + R"("})", .correlation_id = order});
    });
  }

  // Waits for `id` to arrive; returns how long that took (the deadline if it did not).
  std::chrono::milliseconds Arrival(const std::string& id, std::chrono::milliseconds deadline) {
    const auto start = Clock::now();
    testing::WaitFor(
        [&] {
          while (auto d = consumer_->Next(5ms)) {
            arrived_.push_back(d->message.message_id);
            consumer_->Ack(*d);
          }
          return std::find(arrived_.begin(), arrived_.end(), id) != arrived_.end();
        },
        deadline, 1ms);
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  }

  void Collect(std::size_t n, std::chrono::milliseconds deadline) {
    testing::WaitFor(
        [&] {
          while (auto d = consumer_->Next(20ms)) {
            arrived_.push_back(d->message.message_id);
            consumer_->Ack(*d);
          }
          return arrived_.size() >= n;
        },
        deadline, 1ms);
  }

  std::unique_ptr<testing::TestVhost> vhost_;
  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<store::Store> stores_[2];
  std::unique_ptr<amqp::Connection> amqp_;
  std::unique_ptr<amqp::Consumer> consumer_;
  std::string exchange_, queue_;
  std::vector<std::string> arrived_;
};

TEST_F(RelayReplicasIt, ACommitOfOneReplicaWakesTheRelayOfAnother) {
  Relay relay1(*stores_[0], Options());
  Relay relay2(*stores_[1], Options());
  relay1.Start();
  relay2.Start();
  ASSERT_TRUE(testing::WaitFor([&] { return relay1.Listening() && relay2.Listening(); }, 10s));

  for (int i = 0; i < 5; ++i) {
    const std::string id = "both-" + std::to_string(i);
    Produce(i % 2, id);
    EXPECT_LT(Arrival(id, kSweep / 2), kPromptly) << id;
  }

  // Producer 1's own relay is gone: only relay 2, in "another process", can publish.
  relay1.Stop();
  const auto before = relay2.Stats();
  for (int i = 0; i < 5; ++i) {
    const std::string id = "other-" + std::to_string(i);
    Produce(0, id);
    EXPECT_LT(Arrival(id, kSweep / 2), kPromptly) << id;
  }
  // The relay counts a row once its mark committed, a moment after the broker has it.
  EXPECT_TRUE(testing::WaitFor([&] { return relay2.Stats().confirmed - before.confirmed == 5; }, 5s));
  const auto after = relay2.Stats();
  EXPECT_GE(after.notifications - before.notifications, 5u);
}

TEST_F(RelayReplicasIt, ACommitItsOwnRelayWasToldOfCostsOneCycleNotOnePerRelay) {
  Relay relay1(*stores_[0], Options());
  Relay relay2(*stores_[1], Options());
  relay1.Start();
  relay2.Start();
  ASSERT_TRUE(testing::WaitFor([&] { return relay1.Listening() && relay2.Listening(); }, 10s));
  const auto before1 = relay1.Stats();
  const auto before2 = relay2.Stats();

  // As a worker does: commit, then Notify its own relay. Every commit also notifies both
  // relays through the database.
  constexpr int kCommits = 40;
  for (int i = 0; i < kCommits; ++i) {
    const std::string id = "own-" + std::to_string(i);
    Produce(0, id);
    relay1.Notify();
    EXPECT_LT(Arrival(id, 5s), kPromptly) << id;
  }
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        return relay1.Stats().confirmed + relay2.Stats().confirmed - before1.confirmed - before2.confirmed ==
               static_cast<std::uint64_t>(kCommits);
      },
      5s));
  // Both heard of every commit...
  EXPECT_GE(relay2.Stats().notifications - before2.notifications, static_cast<std::uint64_t>(kCommits));
  // ...but only the producer's relay ran a cycle for each; the notifications cost a cycle
  // per foreign_grace at most. Waking every relay for every notification made this
  // about three cycles per commit.
  const std::uint64_t cycles = relay1.Stats().cycles - before1.cycles + relay2.Stats().cycles - before2.cycles;
  EXPECT_LE(cycles, static_cast<std::uint64_t>(kCommits + kCommits / 2)) << "cycles for " << kCommits << " commits";
}

TEST_F(RelayReplicasIt, ABrokenListenConnectionFallsBackToTheSweepAndReconnects) {
  // The LISTEN connection goes through a proxy the test can unplug; the relay's store
  // does not, so only the notifications are lost.
  const std::string direct = db_->Url();
  const auto at = direct.find("@127.0.0.1:");
  ASSERT_NE(at, std::string::npos) << "CHOREO_TEST_PG_URL is expected on 127.0.0.1";
  const auto port_at = at + std::string("@127.0.0.1:").size();
  const auto port_end = direct.find('/', port_at);
  testing::TcpProxy proxy("127.0.0.1", static_cast<std::uint16_t>(std::stoi(direct.substr(port_at, port_end - port_at))));
  proxy.Open();
  RelayOptions options = Options(/*sweep=*/2s);
  options.listen_url = direct.substr(0, port_at) + std::to_string(proxy.Port()) + direct.substr(port_end);
  Relay relay(*stores_[1], options);
  relay.Start();
  ASSERT_TRUE(testing::WaitFor([&] { return relay.Listening(); }, 10s));
  Produce(0, "while-listening");
  EXPECT_LT(Arrival("while-listening", 5s), kPromptly);

  proxy.Close();
  ASSERT_TRUE(testing::WaitFor([&] { return !relay.Listening(); }, 10s)) << "the relay did not notice";
  EXPECT_GE(relay.Stats().listen_errors, 1u);
  // Nobody tells the relay now; its sweep finds the row.
  Produce(0, "while-deaf");
  const auto deaf = Arrival("while-deaf", 10s);
  EXPECT_LT(deaf, 5s) << "the sweep did not take over";

  proxy.Open();
  ASSERT_TRUE(testing::WaitFor([&] { return relay.Listening(); }, 10s)) << "the relay did not reconnect";
  Produce(0, "listening-again");
  EXPECT_LT(Arrival("listening-again", 5s), kPromptly);
  // A row of an outbox in another schema of the same database wakes nobody here.
  testing::TestDatabase other(testing::DbKind::kPostgres, "relayother");
  store::Store other_store(other.Url());
  InstallSchema(other_store);
  const auto notifications = relay.Stats().notifications;
  other_store.InTransaction([&](store::Tx& tx) {
    Append(tx, OutgoingMessage{.message_id = "elsewhere", .exchange = exchange_, .routing_key = "e", .body = "{}"});
  });
  Produce(0, "after-elsewhere");
  EXPECT_LT(Arrival("after-elsewhere", 5s), kPromptly);
  EXPECT_EQ(relay.Stats().notifications, notifications + 1);
}

TEST_F(RelayReplicasIt, CompetingRelaysPublishEveryRowExactlyOnce) {
  constexpr int kProducers = 4;
  constexpr int kRowsEach = 250;
  std::vector<std::unique_ptr<Relay>> relays;
  for (int r = 0; r < 2; ++r) {
    RelayOptions o = Options();
    o.batch_size = 16;  // small claims, so the relays take turns on the same rows
    o.window = 8;
    relays.push_back(std::make_unique<Relay>(*stores_[r], o));
    relays.back()->Start();
  }
  ASSERT_TRUE(testing::WaitFor([&] { return relays[0]->Listening() && relays[1]->Listening(); }, 10s));

  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < kRowsEach;) {
        // 1 to 4 rows per transaction, spread over 10 orders.
        const int n = std::min(1 + (i % 4), kRowsEach - i);
        stores_[p % 2]->InTransaction([&](store::Tx& tx) {
          for (int k = 0; k < n; ++k) {
            const std::string id = "p" + std::to_string(p) + "-" + std::to_string(i + k);
            Append(tx, OutgoingMessage{.message_id = id, .exchange = exchange_, .routing_key = "e", .body = "{}",
                                       .correlation_id = "order-" + std::to_string((i + k) % 10)});
          }
        });
        i += n;
      }
    });
  }
  for (auto& t : producers) t.join();
  constexpr std::size_t kTotal = kProducers * kRowsEach;
  // Every commit woke both relays (after foreign_grace); none waits for a sweep.
  Collect(kTotal, kSweep - 2s);
  ASSERT_TRUE(testing::WaitFor([&] { return Status(*stores_[0]).pending == 0; }, 5s));

  std::map<std::string, int> copies;
  for (const auto& id : arrived_) copies[id]++;
  EXPECT_EQ(copies.size(), kTotal) << "rows lost";
  for (const auto& [id, n] : copies) EXPECT_EQ(n, 1) << id << " published " << n << " times";
  const auto s0 = relays[0]->Stats();
  const auto s1 = relays[1]->Stats();
  EXPECT_EQ(s0.confirmed + s1.confirmed, kTotal);
  EXPECT_GT(s0.confirmed, 0u) << "relay 1 never won a row";
  EXPECT_GT(s1.confirmed, 0u) << "relay 2 never won a row";
}

}  // namespace
}  // namespace choreo::outbox
