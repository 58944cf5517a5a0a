// A transaction whose process froze while holding locks (SIGSTOP, a paused VM, a partition
// that keeps the TCP connection up) must not hold them until its connection dies: the
// store has the server end it after StoreOptions::idle_transaction_timeout, another
// replica then gets the locks, and the frozen one, when it wakes, fails transiently and
// loses nothing it had not committed. Against CHOREO_TEST_PG_URL.
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "choreo/store/locks.hpp"
#include "choreo/store/store.hpp"
#include "choreo/testing/test_database.hpp"

namespace choreo::store {
namespace {

using namespace std::chrono_literals;
using Poco::Data::Keywords::into;
using testing::DbKind;
using testing::TestDatabase;

class PostgresFrozenIt : public ::testing::Test {
 protected:
  StoreOptions Options(std::chrono::milliseconds idle_timeout) const {
    StoreOptions options;
    options.url = db_.Url();
    options.pool_size = 1;
    options.idle_transaction_timeout = idle_timeout;
    return options;
  }

  // Two replicas' stores; on `frozen_`, a transaction that takes the advisory lock and a
  // row lock, writes, then "freezes" until Thaw(). Returns once it holds the locks.
  void Freeze(std::chrono::milliseconds idle_timeout) {
    frozen_ = std::make_unique<Store>(Options(idle_timeout));
    other_ = std::make_unique<Store>(Options(idle_timeout));
    outcome_ = std::async(std::launch::async, [this, thaw = thaw_.get_future().share()] {
      try {
        frozen_->InTransaction([&](Tx& tx) {
          LockUntilEnd(tx, "stock");
          tx.Run("UPDATE stock SET available = available - 1 WHERE sku = 'A'");
          tx.Run("INSERT INTO sales (sku) VALUES ('A')");
          locked_.set_value();
          thaw.wait();
          tx.Run("SELECT 1");
        });
      } catch (const TransientStoreError& error) {
        return std::string("transient: ") + error.what();
      } catch (const std::exception& error) {
        return std::string("other: ") + error.what();
      }
      return std::string("committed");
    });
    ASSERT_EQ(locked_.get_future().wait_for(30s), std::future_status::ready) << "the transaction never got its locks";
  }

  // Wakes the frozen transaction; returns how it ended.
  std::string Thaw() {
    thaw_.set_value();
    thawed_ = true;
    return outcome_.get();
  }

  void TearDown() override {
    if (outcome_.valid() && !thawed_) Thaw();  // a failed expectation must not leave it frozen
  }

  // Takes the same locks from another store (another replica), in the background.
  static std::future<void> TakeTheLocks(Store& other) {
    return std::async(std::launch::async, [&other] {
      other.InTransaction([](Tx& tx) {
        LockUntilEnd(tx, "stock");
        tx.Run("UPDATE stock SET available = available - 1 WHERE sku = 'A'");
      });
    });
  }

  void SetUp() override {
    Store setup(Options(0ms));
    setup.InTransaction([](Tx& tx) {
      tx.RunScript("CREATE TABLE stock (sku TEXT PRIMARY KEY, available BIGINT NOT NULL);"
                   "CREATE TABLE sales (sku TEXT NOT NULL);"
                   "INSERT INTO stock VALUES ('A', 10)");
    });
  }

  TestDatabase db_{DbKind::kPostgres, "pgfrozen"};
  std::unique_ptr<Store> frozen_, other_;
  std::promise<void> locked_, thaw_;
  bool thawed_ = false;
  std::future<std::string> outcome_;
};

TEST_F(PostgresFrozenIt, AFrozenTransactionLosesItsLocksAfterTheIdleTimeout) {
  Freeze(500ms);
  auto taken = TakeTheLocks(*other_);
  const bool in_time = taken.wait_for(10s) == std::future_status::ready;
  const std::string ended = Thaw();  // in any case, so that nothing waits forever
  taken.get();
  EXPECT_TRUE(in_time) << "the other replica waited for the frozen one's locks";
  EXPECT_TRUE(ended.starts_with("transient: ")) << ended;
  // Nothing of the frozen transaction stayed: its decrement and its sale are gone.
  other_->InTransaction([](Tx& tx) {
    std::int64_t available = 0, sales = -1;
    tx.Run("SELECT available FROM stock WHERE sku = 'A'", into(available));
    tx.Run("SELECT COUNT(*) FROM sales", into(sales));
    EXPECT_EQ(available, 9);
    EXPECT_EQ(sales, 0);
  });
  // The frozen store replaced its connection and works again.
  frozen_->InTransaction([](Tx& tx) { tx.Run("INSERT INTO sales (sku) VALUES ('B')"); });
}

// The control: with the server's default (no timeout) the locks stay with the frozen
// transaction for as long as it is frozen.
TEST_F(PostgresFrozenIt, WithoutTheTimeoutTheLocksStayWithTheFrozenTransaction) {
  Freeze(0ms);
  auto taken = TakeTheLocks(*other_);
  EXPECT_EQ(taken.wait_for(2s), std::future_status::timeout) << "the locks were free while the holder was frozen";
  EXPECT_EQ(Thaw(), "committed");
  taken.get();
}

}  // namespace
}  // namespace choreo::store
