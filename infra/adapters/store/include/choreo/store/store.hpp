#pragma once
// choreo::store: transactions over SQLite or PostgreSQL through Poco::Data.
//
//   choreo::store::Store store(choreo::store::StoreOptions{.url = "sqlite:orders.db"});
//   store.Migrate("orders", {{1, "create orders",
//                             "CREATE TABLE orders (id TEXT PRIMARY KEY, total BIGINT NOT NULL)"}});
//   store.InTransaction([&](choreo::store::Tx& tx) {
//     tx.Run("INSERT INTO orders (id, total) VALUES (?, ?)", order_id, total_cents);
//   });
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "choreo/store/errors.hpp"
#include "choreo/store/options.hpp"
#include "choreo/store/tx.hpp"

namespace choreo::store {

// One numbered schema change of a component. `sql` may hold several statements; it is
// used for both dialects unless `postgres_sql` is set.
struct Migration {
  int version = 0;
  std::string name;
  std::string sql;
  std::string postgres_sql;

  const std::string& SqlFor(Dialect dialect) const {
    return dialect == Dialect::kPostgres && !postgres_sql.empty() ? postgres_sql : sql;
  }
};

// A pool of connections to one database. Thread-safe: any number of threads may run
// transactions at once, each on its own connection (at most `pool_size`).
//
// SQLite connections run with journal_mode=WAL, synchronous=FULL (a commit is on disk when
// InTransaction returns), foreign_keys=ON and the configured busy timeout. Transactions
// begin with BEGIN IMMEDIATE: taking the write lock up front means two writers never both
// hold read locks and wait on each other to upgrade, a deadlock that SQLite can only break
// by failing one of them with SQLITE_BUSY regardless of the busy timeout.
// PostgreSQL transactions run at READ COMMITTED; lock rows explicitly (FOR UPDATE) where
// read-modify-write matters.

// What a commit promises. kDurable: on disk when InTransaction returns. kLazy: visible to
// every reader at once and kept if this process dies, but a power failure or a crash of
// the database server may lose it until the next durable commit or checkpoint (SQLite:
// synchronous=NORMAL for this transaction, whose WAL frames the next durable commit's
// fsync covers; PostgreSQL: synchronous_commit=off for it). Only for writes whose loss is
// harmless, e.g. marking outbox rows sent: the rows are published again and the
// consumers' inboxes drop the copies.
enum class Durability { kDurable, kLazy };

class Store {
 public:
  // Validates the options and opens the first connection, so a bad URL or an unreachable
  // database fails here. Throws std::invalid_argument, StoreError.
  explicit Store(StoreOptions options);
  explicit Store(std::string url);
  ~Store();
  Store(Store&&) noexcept;
  Store& operator=(Store&&) noexcept;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  store::Dialect Dialect() const;
  const StoreOptions& Options() const;

  // Runs `f(Tx&)` in a transaction on a connection of its own and returns what f returns.
  // Commits when f returns; rolls back when it throws and rethrows. Poco exceptions are
  // translated to StoreError / TransientStoreError, all others pass through unchanged.
  // On TransientStoreError the whole call (new transaction, f again) is repeated up to
  // Options().transient_retries times.
  // Don't call InTransaction from inside f: the inner call needs a second connection and,
  // on SQLite, the write lock the outer one holds, so it can only time out.
  template <class F>
  auto InTransaction(F&& f, Durability durability = Durability::kDurable) -> std::invoke_result_t<F&, Tx&>;

  // Brings `component`'s schema up to the last of `migrations`, which must be numbered
  // 1, 2, 3, ... without gaps (else std::invalid_argument). Each pending migration runs
  // in its own transaction together with its row in choreo_schema_migrations
  // (component, version, name, applied_at). Concurrent callers, also in other processes,
  // serialise (SQLite: BEGIN IMMEDIATE; PostgreSQL: a transaction-scoped advisory lock),
  // so each migration is applied once. Throws StoreError when the database disagrees with
  // the list: a recorded version with another name, or versions this list does not know.
  // Returns the number of migrations applied by this call.
  int Migrate(std::string_view component, const std::vector<Migration>& migrations);

 private:
  void RunTransaction(const std::function<void(Tx&)>& body, Durability durability);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

template <class F>
auto Store::InTransaction(F&& f, Durability durability) -> std::invoke_result_t<F&, Tx&> {
  using Result = std::invoke_result_t<F&, Tx&>;
  static_assert(!std::is_reference_v<Result>,
                "InTransaction: return a value, not a reference into the transaction");
  if constexpr (std::is_void_v<Result>) {
    RunTransaction([&f](Tx& tx) { f(tx); }, durability);
  } else {
    std::optional<Result> result;
    RunTransaction([&f, &result](Tx& tx) { result.emplace(f(tx)); }, durability);
    return std::move(*result);
  }
}

}  // namespace choreo::store
