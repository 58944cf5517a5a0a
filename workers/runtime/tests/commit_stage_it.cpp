// The commit stage against a real PostgreSQL: two replicas' batches that lock the same
// rows never deadlock. Each test runs two batches at once, one per store (one per
// replica), and holds each batch after its first lock until the other batch has taken
// its own first lock (or 500 ms passed): the interleaving that deadlocks when the two
// lock the rows in different orders. Deadlocks are not retried (transient_retries 0),
// so one would fail the commit, and the first test shows it does.
#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>

#include "choreo/contracts/envelope.hpp"
#include "choreo/outbox/outbox.hpp"
#include "choreo/store/errors.hpp"
#include "choreo/testing/test_database.hpp"
#include "choreo/worker/context.hpp"
#include "commit_stage.hpp"

namespace choreo::worker::detail {
namespace {

using namespace std::chrono_literals;
using Poco::Data::Keywords::into;

// Counts the batches that hold their first lock; a batch waits (briefly) for the other.
class Rendezvous {
 public:
  void ArriveAndWait() {
    std::unique_lock lock(mutex_);
    ++arrived_;
    changed_.notify_all();
    changed_.wait_for(lock, 500ms, [this] { return arrived_ >= 2; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int arrived_ = 0;
};

class CommitStageIt : public ::testing::Test {
 protected:
  void SetUp() override {
    setup_.InTransaction([](store::Tx& tx) {
      tx.RunScript("CREATE TABLE test_rows (id TEXT PRIMARY KEY, touched INTEGER NOT NULL DEFAULT 0);"
                   "INSERT INTO test_rows (id) VALUES ('a'), ('b')");
    });
    outbox::InstallSchema(setup_);
    // The handler locks and changes the row named in the payload; the first message of
    // each batch then meets the other batch at the rendezvous.
    registered_.handler = [this](Context& ctx) {
      const std::string row = ctx.Message().payload.at("row").get<std::string>();
      std::string id;
      ctx.Tx().Run("SELECT id FROM test_rows WHERE id = ? FOR UPDATE", into(id), row);
      ctx.Tx().Run("UPDATE test_rows SET touched = touched + 1 WHERE id = ?", row);
      if (ctx.Message().payload.at("first").get<bool>()) rendezvous_.ArriveAndWait();
    };
  }

  // A message of order `order` whose handler locks `row`.
  Item ItemOf(const std::string& order, const std::string& row, bool first) {
    contracts::Envelope envelope;
    envelope.message_id = contracts::NewUuid();
    envelope.type = "test.event";
    envelope.correlation_id = order;
    envelope.producer = "test";
    envelope.payload = {{"row", row}, {"first", first}};
    return Item{.delivery = nullptr, .envelope = envelope, .registered = &registered_, .attempt = 1, .handling = {}};
  }

  // Commits both batches at once, each through its own store; the errors they threw ("" = none).
  std::pair<std::string, std::string> CommitBoth(std::vector<Item> one, std::vector<Item> two, bool serialize) {
    store::Store replica1(Options()), replica2(Options());
    CommitStage stage1(replica1, "test"), stage2(replica2, "test");
    if (serialize) {
      stage1.SerializeTransactions("choreo.worker:test");
      stage2.SerializeTransactions("choreo.worker:test");
    }
    auto run = [](const CommitStage& stage, std::vector<Item>& items) -> std::string {
      try {
        stage.Commit(items);
        return "";
      } catch (const std::exception& e) {
        return e.what();
      }
    };
    auto first = std::async(std::launch::async, [&] { return run(stage1, one); });
    auto second = std::async(std::launch::async, [&] { return run(stage2, two); });
    return {first.get(), second.get()};
  }

  // Four orders over two rows that every order may change: the first batch locks b then
  // a, the second a then b. Order ids do not decide this order (it is not per order).
  std::pair<std::string, std::string> CommitSharedRowsInOppositeOrders(bool serialize) {
    return CommitBoth({ItemOf("order-1", "b", true), ItemOf("order-2", "a", false)},
                      {ItemOf("order-3", "a", true), ItemOf("order-4", "b", false)}, serialize);
  }

  int Touched() {
    Poco::Int64 total = 0;
    setup_.InTransaction([&](store::Tx& tx) { tx.Run("SELECT SUM(touched) FROM test_rows", into(total)); });
    return static_cast<int>(total);
  }

  store::StoreOptions Options() const { return {.url = db_.Url(), .transient_retries = 0}; }

  testing::TestDatabase db_{testing::DbKind::kPostgres, "commit"};
  store::Store setup_{Options()};
  Registered registered_;
  Rendezvous rendezvous_;
};

// The control: rows locked in opposite orders by two batches deadlock, and PostgreSQL
// fails one of them. Without this the tests below could pass by never overlapping.
TEST_F(CommitStageIt, OppositeLockOrdersDeadlockWithoutHelp) {
  const auto [one, two] = CommitSharedRowsInOppositeOrders(/*serialize=*/false);
  EXPECT_NE(one + two, "");
  EXPECT_NE((one + two).find("deadlock"), std::string::npos) << one << " | " << two;
}

// Each message locks its own order's row and the batches hold the orders in opposite
// delivery orders: sorted by order id, both lock order a's row first.
TEST_F(CommitStageIt, BatchesLockTheRowsOfTheirOrdersInOrderIdOrder) {
  const auto [one, two] = CommitBoth({ItemOf("a", "a", true), ItemOf("b", "b", false)},
                                     {ItemOf("b", "b", true), ItemOf("a", "a", false)},
                                     /*serialize=*/false);
  EXPECT_EQ(one, "");
  EXPECT_EQ(two, "");
  EXPECT_EQ(Touched(), 4);
}

// Rows shared by every order (inventory's stock) are locked in an order the order ids do
// not decide: with SerializeTransactions the batches take turns instead.
TEST_F(CommitStageIt, SerializedTransactionsTakeTurns) {
  const auto [one, two] = CommitSharedRowsInOppositeOrders(/*serialize=*/true);
  EXPECT_EQ(one, "");
  EXPECT_EQ(two, "");
  EXPECT_EQ(Touched(), 4);
}

}  // namespace
}  // namespace choreo::worker::detail
