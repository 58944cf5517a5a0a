// A transaction whose process froze while holding locks (SIGSTOP, a paused VM, a partition
// that keeps the TCP connection up) must not hold them until its connection dies: the
// store has the server end it after StoreOptions::idle_transaction_timeout, another
// replica then gets the locks, and the frozen one, when it wakes, fails transiently and
// loses nothing it had not committed. Against CHOREO_TEST_PG_URL.
#include <chrono>
#include <future>
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

  // Runs a transaction on `store` that takes the lock and a row lock, writes a row, then
  // "freezes" until `thaw` is set; returns how it ended.
  static std::future<std::string> Freeze(Store& store, std::promise<void>& locked, std::shared_future<void> thaw) {
    return std::async(std::launch::async, [&store, &locked, thaw] {
      try {
        store.InTransaction([&](Tx& tx) {
          LockUntilEnd(tx, "stock");
          tx.Run("UPDATE stock SET available = available - 1 WHERE sku = 'A'");
          tx.Run("INSERT INTO sales (sku) VALUES ('A')");
          locked.set_value();
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
};

TEST_F(PostgresFrozenIt, AFrozenTransactionLosesItsLocksAfterTheIdleTimeout) {
  Store frozen_store(Options(500ms));
  Store other(Options(500ms));
  std::promise<void> locked, thaw;
  auto outcome = Freeze(frozen_store, locked, thaw.get_future().share());
  locked.get_future().wait();

  auto taken = TakeTheLocks(other);
  const bool in_time = taken.wait_for(10s) == std::future_status::ready;
  thaw.set_value();  // in any case, so that nothing waits forever
  taken.get();
  EXPECT_TRUE(in_time) << "the other replica waited for the frozen one's locks";
  const std::string ended = outcome.get();
  EXPECT_TRUE(ended.starts_with("transient: ")) << ended;
  // Nothing of the frozen transaction stayed: its decrement and its sale are gone.
  other.InTransaction([](Tx& tx) {
    std::int64_t available = 0, sales = -1;
    tx.Run("SELECT available FROM stock WHERE sku = 'A'", into(available));
    tx.Run("SELECT COUNT(*) FROM sales", into(sales));
    EXPECT_EQ(available, 9);
    EXPECT_EQ(sales, 0);
  });
  // The frozen store replaced its connection and works again.
  frozen_store.InTransaction([](Tx& tx) { tx.Run("INSERT INTO sales (sku) VALUES ('B')"); });
}

// The control: with the server's default (no timeout) the locks stay with the frozen
// transaction for as long as it is frozen.
TEST_F(PostgresFrozenIt, WithoutTheTimeoutTheLocksStayWithTheFrozenTransaction) {
  Store frozen_store(Options(0ms));
  Store other(Options(0ms));
  std::promise<void> locked, thaw;
  auto outcome = Freeze(frozen_store, locked, thaw.get_future().share());
  locked.get_future().wait();

  auto taken = TakeTheLocks(other);
  EXPECT_EQ(taken.wait_for(2s), std::future_status::timeout) << "the locks were free while the holder was frozen";
  thaw.set_value();
  EXPECT_EQ(outcome.get(), "committed");
  taken.get();
}

}  // namespace
}  // namespace choreo::store
