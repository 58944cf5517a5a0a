// Integration tests: every case runs against a fresh SQLite file and a fresh PostgreSQL
// schema (CHOREO_TEST_PG_URL), both removed afterwards.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <future>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "choreo/store/store.hpp"
#include "choreo/testing/testing.hpp"

namespace choreo::store {
namespace {

using Poco::Data::Keywords::into;
using namespace std::chrono_literals;

enum class Backend { kSqlite, kPostgres };

std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

std::int64_t Count(Store& store, const std::string& sql) {
  return store.InTransaction([&](Tx& tx) {
    Poco::Int64 n = -1;
    tx.Run(sql, into(n));
    return static_cast<std::int64_t>(n);
  });
}

class StoreIt : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kSqlite) {
      path_ = std::filesystem::temp_directory_path() /
              (choreo::testing::UniqueName("choreo-store-it") + ".db");
      url_ = "sqlite:" + path_.string();
      return;
    }
    base_url_ = choreo::testing::RequireEnv("CHOREO_TEST_PG_URL");
    schema_ = choreo::testing::UniqueName("store_it");
    for (char& c : schema_) {
      c = std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
    }
    Store admin(base_url_);
    // The schema name is generated above from [a-z0-9_]; identifiers cannot be bound.
    admin.InTransaction([&](Tx& tx) { tx.RunScript("CREATE SCHEMA " + schema_); });
    url_ = base_url_ + (base_url_.find('?') == std::string::npos ? "?" : "&") +
           "options=-csearch_path%3D" + schema_;
  }

  void TearDown() override {
    if (GetParam() == Backend::kSqlite) {
      for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
        std::error_code ignored;
        std::filesystem::remove(path_.string() + suffix, ignored);
      }
      return;
    }
    Store admin(base_url_);
    admin.InTransaction([&](Tx& tx) { tx.RunScript("DROP SCHEMA " + schema_ + " CASCADE"); });
  }

  StoreOptions Options() const {
    StoreOptions options;
    options.url = url_;
    return options;
  }

  static void CreateItems(Store& store) {
    store.InTransaction([](Tx& tx) {
      tx.RunScript("CREATE TABLE items (id BIGINT PRIMARY KEY, label TEXT NOT NULL)");
    });
  }

  std::filesystem::path path_;
  std::string base_url_;
  std::string schema_;
  std::string url_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreIt,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), BackendName);

// 1. A transaction that throws leaves no row behind, and the exception propagates as is.
TEST_P(StoreIt, ThrowingTransactionLeavesNoRow) {
  Store store(Options());
  CreateItems(store);

  struct Boom : std::runtime_error {
    using std::runtime_error::runtime_error;
  };
  EXPECT_THROW(store.InTransaction([](Tx& tx) {
    tx.Run("INSERT INTO items (id, label) VALUES (?, ?)", 1, "first");
    throw Boom("boom");
  }),
               Boom);
  EXPECT_EQ(Count(store, "SELECT COUNT(*) FROM items"), 0);

  // A database error mid-transaction rolls back the earlier statements too.
  try {
    store.InTransaction([](Tx& tx) {
      tx.Run("INSERT INTO items (id, label) VALUES (?, ?)", 2, "second");
      tx.Run("INSERT INTO items (id, label) VALUES (?, ?)", 2, "duplicate");
    });
    FAIL() << "expected a StoreError";
  } catch (const TransientStoreError& error) {
    FAIL() << "a unique violation is not transient: " << error.what();
  } catch (const StoreError& error) {
    EXPECT_NE(std::string(error.what()).find("INSERT INTO items"), std::string::npos)
        << error.what();
  }
  EXPECT_EQ(Count(store, "SELECT COUNT(*) FROM items"), 0);

  // The connections are still usable afterwards.
  store.InTransaction(
      [](Tx& tx) { tx.Run("INSERT INTO items (id, label) VALUES (?, ?)", 3, "third"); });
  EXPECT_EQ(Count(store, "SELECT COUNT(*) FROM items"), 1);
}

// 2. A committed transaction's rows are visible to a new Store on the same URL.
TEST_P(StoreIt, CommittedRowsVisibleToNewStore) {
  {
    Store writer(Options());
    CreateItems(writer);
    const std::int64_t inserted = writer.InTransaction([](Tx& tx) {
      return tx.Run("INSERT INTO items (id, label) VALUES (?, ?)", 7, "seven") +
             tx.Run("INSERT INTO items (id, label) VALUES (?, ?)", 8, "eight");
    });
    EXPECT_EQ(inserted, 2);
  }
  Store reader(url_);
  std::vector<std::string> labels = reader.InTransaction([](Tx& tx) {
    std::vector<std::string> out;
    tx.Run("SELECT label FROM items ORDER BY id", into(out));
    return out;
  });
  EXPECT_EQ(labels, (std::vector<std::string>{"seven", "eight"}));
}

// 3. Migrations run once; a migration added later runs alone; mistakes are refused.
TEST_P(StoreIt, MigrationsRunOnce) {
  std::vector<Migration> migrations = {
      {1, "create widgets",
       "CREATE TABLE widgets (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL);"
       "CREATE INDEX widgets_name ON widgets (name);",
       "CREATE TABLE widgets (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL);"
       "CREATE INDEX widgets_name ON widgets (name);"},
      {2, "seed widget", "INSERT INTO widgets (name) VALUES ('seed')"},
  };
  Store store(Options());
  EXPECT_EQ(store.Migrate("widgets", migrations), 2);
  EXPECT_EQ(store.Migrate("widgets", migrations), 0);
  EXPECT_EQ(Store(url_).Migrate("widgets", migrations), 0);
  EXPECT_EQ(Count(store, "SELECT COUNT(*) FROM widgets"), 1);  // the seed ran once

  migrations.push_back({3, "add colour", "ALTER TABLE widgets ADD COLUMN colour TEXT"});
  EXPECT_EQ(store.Migrate("widgets", migrations), 1);
  EXPECT_EQ(store.Migrate("widgets", migrations), 0);
  EXPECT_EQ(Count(store, "SELECT COUNT(*) FROM widgets"), 1);

  const auto records = store.InTransaction([](Tx& tx) {
    std::vector<Poco::Int64> versions;
    std::vector<std::string> names;
    std::vector<std::string> applied_at;
    tx.Run("SELECT version, name, CAST(applied_at AS TEXT) FROM choreo_schema_migrations "
           "WHERE component = ? ORDER BY version",
           into(versions), into(names), into(applied_at), "widgets");
    EXPECT_EQ(names, (std::vector<std::string>{"create widgets", "seed widget", "add colour"}));
    for (const auto& at : applied_at) EXPECT_FALSE(at.empty());
    return versions;
  });
  EXPECT_EQ(records, (std::vector<Poco::Int64>{1, 2, 3}));

  // Another component keeps its own numbering.
  EXPECT_EQ(store.Migrate("gadgets", {{1, "create gadgets", "CREATE TABLE gadgets (id TEXT)"}}), 1);

  auto renamed = migrations;
  renamed[1].name = "seed widgets";
  EXPECT_THROW(store.Migrate("widgets", renamed), StoreError);
  EXPECT_THROW(store.Migrate("widgets", {migrations[0]}), StoreError);  // db is ahead
  auto gap = migrations;
  gap[2].version = 4;
  EXPECT_THROW(store.Migrate("widgets", gap), std::invalid_argument);
  EXPECT_THROW(store.Migrate("widgets", {{2, "no first", "SELECT 1"}}), std::invalid_argument);

  // A failing migration leaves neither its changes nor its record behind.
  auto broken = migrations;
  broken.push_back({4, "broken", "CREATE TABLE halfway (x TEXT); SELECT * FROM no_such_table"});
  EXPECT_THROW(store.Migrate("widgets", broken), StoreError);
  EXPECT_EQ(Count(store, "SELECT COUNT(*) FROM choreo_schema_migrations WHERE component = 'widgets'"),
            3);
  EXPECT_EQ(store.Migrate("widgets", migrations), 0);
}

// 3b. Concurrent migrators (separate stores, as separate processes would be) apply each
// migration exactly once.
TEST_P(StoreIt, ConcurrentMigrateAppliesOnce) {
  std::vector<Migration> migrations;
  migrations.push_back({1, "create log", "CREATE TABLE log (note TEXT)"});
  for (int v = 2; v <= 6; ++v) {
    migrations.push_back(
        {v, "note " + std::to_string(v), "INSERT INTO log (note) VALUES ('" + std::to_string(v) + "')"});
  }
  std::atomic<int> applied{0};
  std::vector<std::thread> threads;
  std::vector<std::exception_ptr> errors(3);
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      try {
        Store store(Options());
        applied += store.Migrate("log", migrations);
      } catch (...) {
        errors[t] = std::current_exception();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (auto& error : errors) {
    if (error) std::rethrow_exception(error);
  }
  EXPECT_EQ(applied.load(), 6);
  Store store(Options());
  EXPECT_EQ(Count(store, "SELECT COUNT(*) FROM log"), 5);
  EXPECT_EQ(Count(store, "SELECT COUNT(*) FROM choreo_schema_migrations WHERE component = 'log'"), 6);
}

// 4. Durability settings are in effect on every connection; foreign keys are enforced.
TEST_P(StoreIt, DurabilitySettingsInEffect) {
  StoreOptions options = Options();
  options.pool_size = 3;
  Store store(options);
  ASSERT_EQ(store.Dialect(),
            GetParam() == Backend::kSqlite ? Dialect::kSqlite : Dialect::kPostgres);

  // Hold three transactions open at once so that three distinct connections are checked.
  std::vector<std::future<void>> checks;
  std::atomic<int> inside{0};
  for (int i = 0; i < 3; ++i) {
    checks.push_back(std::async(std::launch::async, [&] {
      store.InTransaction([&](Tx& tx) {
        ++inside;
        if (tx.Dialect() == Dialect::kSqlite) {
          std::string journal_mode;
          Poco::Int64 synchronous = -1;
          Poco::Int64 foreign_keys = -1;
          Poco::Int64 busy_timeout = -1;
          tx.Run("PRAGMA main.journal_mode", into(journal_mode));
          tx.Run("PRAGMA main.synchronous", into(synchronous));
          tx.Run("PRAGMA foreign_keys", into(foreign_keys));
          tx.Run("PRAGMA busy_timeout", into(busy_timeout));
          EXPECT_EQ(journal_mode, "wal");
          EXPECT_EQ(synchronous, 2);  // FULL
          EXPECT_EQ(foreign_keys, 1);
          EXPECT_EQ(busy_timeout, 5000);
        } else {
          std::string synchronous_commit;
          tx.Run("SELECT current_setting('synchronous_commit')", into(synchronous_commit));
          EXPECT_EQ(synchronous_commit, "on");
        }
        // SQLite allows one writer at a time: only PostgreSQL can hold all three open.
        if (tx.Dialect() == Dialect::kPostgres) {
          EXPECT_TRUE(choreo::testing::WaitFor([&] { return inside.load() == 3; }, 10s));
        }
      });
    }));
  }
  for (auto& check : checks) check.get();

  store.InTransaction([](Tx& tx) {
    tx.RunScript(
        "CREATE TABLE parents (id BIGINT PRIMARY KEY);"
        "CREATE TABLE children (id BIGINT PRIMARY KEY, parent BIGINT NOT NULL REFERENCES parents (id));");
  });
  EXPECT_THROW(store.InTransaction([](Tx& tx) {
    tx.Run("INSERT INTO children (id, parent) VALUES (?, ?)", 1, 404);
  }),
               StoreError);
}

// 4b. A lazy transaction relaxes durability for itself only: the connection it ran on
// (the pool has one) is durable again for the next transaction, also after a rollback.
TEST_P(StoreIt, LazyTransactionRelaxesOnlyItself) {
  StoreOptions options = Options();
  options.pool_size = 1;
  Store store(options);
  auto setting = [](Tx& tx) {
    if (tx.Dialect() == Dialect::kSqlite) {
      Poco::Int64 synchronous = -1;
      tx.Run("PRAGMA main.synchronous", into(synchronous));
      return std::to_string(synchronous);  // 1 NORMAL, 2 FULL
    }
    std::string synchronous_commit;
    tx.Run("SELECT current_setting('synchronous_commit')", into(synchronous_commit));
    return synchronous_commit;
  };
  const bool sqlite = GetParam() == Backend::kSqlite;
  const std::string lazy = sqlite ? "1" : "off", durable = sqlite ? "2" : "on";

  store.InTransaction([](Tx& tx) { tx.RunScript("CREATE TABLE marks (id BIGINT PRIMARY KEY);"); });
  EXPECT_EQ(store.InTransaction([&](Tx& tx) {
    tx.Run("INSERT INTO marks (id) VALUES (?)", 1);
    return setting(tx);
  }, Durability::kLazy), lazy);
  EXPECT_EQ(store.InTransaction(setting), durable);
  EXPECT_EQ(Count(store, "SELECT COUNT(*) FROM marks"), 1);  // committed and visible

  EXPECT_THROW(store.InTransaction([](Tx& tx) { tx.Run("INSERT INTO marks (id) VALUES (?)", 1); },
                                   Durability::kLazy),
               StoreError);
  EXPECT_EQ(store.InTransaction(setting), durable);
}

// 5. Two threads committing read-modify-write transactions to the same database at once
// both succeed, with no busy error reaching the caller and no lost update.
TEST_P(StoreIt, ConcurrentWritersBothCommit) {
  StoreOptions options = Options();
  options.pool_size = 2;
  options.transient_retries = 0;  // a busy error must not be hidden by retrying
  Store store(options);
  store.InTransaction([](Tx& tx) {
    tx.RunScript(
        "CREATE TABLE counter (id BIGINT PRIMARY KEY, n BIGINT NOT NULL);"
        "INSERT INTO counter (id, n) VALUES (1, 0);"
        "CREATE TABLE events (thread BIGINT NOT NULL, seq BIGINT NOT NULL, PRIMARY KEY (thread, seq));");
  });

  constexpr int kPerThread = 100;
  auto writer = [&](int thread) {
    for (int seq = 0; seq < kPerThread; ++seq) {
      store.InTransaction([&](Tx& tx) {
        // Read, then write: under BEGIN DEFERRED two SQLite writers would both hold read
        // locks here and one would fail with SQLITE_BUSY at the UPDATE.
        Poco::Int64 n = -1;
        const std::string lock = tx.Dialect() == Dialect::kPostgres ? " FOR UPDATE" : "";
        tx.Run("SELECT n FROM counter WHERE id = ?" + lock, into(n), 1);
        tx.Run("UPDATE counter SET n = ? WHERE id = ?", n + 1, 1);
        tx.Run("INSERT INTO events (thread, seq) VALUES (?, ?)", thread, seq);
      });
    }
  };
  auto first = std::async(std::launch::async, writer, 1);
  auto second = std::async(std::launch::async, writer, 2);
  EXPECT_NO_THROW(first.get());
  EXPECT_NO_THROW(second.get());
  EXPECT_EQ(Count(store, "SELECT n FROM counter WHERE id = 1"), 2 * kPerThread);
  EXPECT_EQ(Count(store, "SELECT COUNT(*) FROM events"), 2 * kPerThread);
}

// 6. Bound parameters round-trip awkward strings, 64-bit extremes and NULLs.
TEST_P(StoreIt, BoundParametersRoundTrip) {
  Store store(Options());
  store.InTransaction([](Tx& tx) {
    tx.RunScript(
        "CREATE TABLE vals (id BIGINT PRIMARY KEY, s TEXT, big BIGINT, opt_s TEXT, opt_i BIGINT)");
  });
  const std::string awkward = "it's a \"quoted\" ? string?; DROP TABLE vals; -- $1 'x' \\ ü";
  const std::int64_t max = std::numeric_limits<std::int64_t>::max();
  const std::int64_t min = std::numeric_limits<std::int64_t>::min();

  store.InTransaction([&](Tx& tx) {
    tx.Run("INSERT INTO vals (id, s, big, opt_s, opt_i) VALUES (?, ?, ?, ?, ?)", 1, awkward, max,
           std::optional<std::string>(), std::optional<std::int64_t>(-42));
    tx.Run("INSERT INTO vals (id, s, big, opt_s, opt_i) VALUES (?, ?, ?, ?, ?)", 2,
           std::string_view("'?'"), min, std::optional<std::string>("present"), std::nullopt);
    tx.Run("INSERT INTO vals (id, s, big, opt_s, opt_i) VALUES (?, ?, ?, ?, ?)", 3, "", 0,
           Poco::Nullable<std::string>(""), nullptr);
  });

  struct Row {
    std::string s;
    Poco::Int64 big = 0;
    std::optional<std::string> opt_s;
    std::optional<Poco::Int64> opt_i;
  };
  auto read = [&](std::int64_t id) {
    return store.InTransaction([&](Tx& tx) {
      Row row;
      const std::size_t n = tx.Run("SELECT s, big, opt_s, opt_i FROM vals WHERE id = ?",
                                   into(row.s), into(row.big), into(row.opt_s), into(row.opt_i), id);
      EXPECT_EQ(n, 1u);
      return row;
    });
  };
  const Row one = read(1);
  EXPECT_EQ(one.s, awkward);
  EXPECT_EQ(one.big, max);
  EXPECT_EQ(one.opt_s, std::nullopt);
  EXPECT_EQ(one.opt_i, std::optional<Poco::Int64>(-42));

  const Row two = read(2);
  EXPECT_EQ(two.s, "'?'");
  EXPECT_EQ(two.big, min);
  EXPECT_EQ(two.opt_s, std::optional<std::string>("present"));
  EXPECT_EQ(two.opt_i, std::nullopt);

  const Row three = read(3);
  EXPECT_EQ(three.s, "");
  EXPECT_EQ(three.big, 0);
  EXPECT_EQ(three.opt_s, std::optional<std::string>(""));  // empty is not NULL
  EXPECT_EQ(three.opt_i, std::nullopt);

  // The awkward string works as a lookup key too; `?` in a literal is not a parameter.
  const auto ids = store.InTransaction([&](Tx& tx) {
    std::vector<Poco::Int64> out;
    tx.Run("SELECT id FROM vals WHERE s = ? OR s = '?' OR big = ? ORDER BY id", into(out), awkward,
           min);
    return out;
  });
  EXPECT_EQ(ids, (std::vector<Poco::Int64>{1, 2}));

  Poco::Nullable<std::string> nullable;
  store.InTransaction([&](Tx& tx) {
    tx.Run("SELECT opt_s FROM vals WHERE id = ?", into(nullable), 1);
  });
  EXPECT_TRUE(nullable.isNull());

  // Nothing found: the target is untouched and Run reports 0 rows.
  std::string untouched = "unchanged";
  EXPECT_EQ(store.InTransaction([&](Tx& tx) {
    return tx.Run("SELECT s FROM vals WHERE id = ?", into(untouched), 99);
  }),
            0u);
  EXPECT_EQ(untouched, "unchanged");
}

// 7. A lock held by another transaction past the busy/lock timeout surfaces as
// TransientStoreError, and with retries the same work then succeeds.
TEST_P(StoreIt, LockConflictIsTransient) {
  Store holder(Options());
  holder.InTransaction([](Tx& tx) {
    tx.RunScript("CREATE TABLE slots (id BIGINT PRIMARY KEY, owner TEXT);"
                 "INSERT INTO slots (id, owner) VALUES (1, NULL);");
  });
  StoreOptions impatient_options = Options();
  impatient_options.busy_timeout = 50ms;
  Store impatient(impatient_options);

  auto contend = [](Tx& tx) {
    if (tx.Dialect() == Dialect::kPostgres) tx.RunScript("SET LOCAL lock_timeout = '50ms'");
    tx.Run("UPDATE slots SET owner = ? WHERE id = ?", "impatient", 1);
  };

  std::promise<void> locked;
  std::promise<void> release;
  auto release_future = release.get_future().share();
  auto holding = std::async(std::launch::async, [&] {
    holder.InTransaction([&](Tx& tx) {
      tx.Run("UPDATE slots SET owner = ? WHERE id = ?", "holder", 1);
      locked.set_value();
      ASSERT_EQ(release_future.wait_for(30s), std::future_status::ready);
    });
  });
  ASSERT_EQ(locked.get_future().wait_for(30s), std::future_status::ready);
  EXPECT_THROW(impatient.InTransaction(contend), TransientStoreError);
  release.set_value();
  holding.get();

  impatient.InTransaction(contend);  // the lock is free again
  const std::string owner = impatient.InTransaction([](Tx& tx) {
    std::string out;
    tx.Run("SELECT owner FROM slots WHERE id = ?", into(out), 1);
    return out;
  });
  EXPECT_EQ(owner, "impatient");
}

// 8. A connection killed mid-transaction surfaces as TransientStoreError, is dropped from
// the pool rather than reused, and a retry redoes the work on a fresh connection.
TEST_P(StoreIt, LostConnectionIsTransientAndReplaced) {
  if (GetParam() == Backend::kSqlite) GTEST_SKIP() << "SQLite has no connection to lose";
  StoreOptions options = Options();
  options.pool_size = 1;  // the next transaction must get a working connection in the same slot
  Store store(options);
  EXPECT_THROW(store.InTransaction([](Tx& tx) {
    tx.Run("SELECT pg_terminate_backend(pg_backend_pid())");
  }),
               TransientStoreError);
  EXPECT_EQ(Count(store, "SELECT 1"), 1);
  EXPECT_THROW(store.InTransaction([](Tx& tx) {
    tx.RunScript("SELECT pg_terminate_backend(pg_backend_pid())");
  }),
               TransientStoreError);
  EXPECT_EQ(Count(store, "SELECT 1"), 1);

  options.transient_retries = 2;
  Store retrying(options);
  int attempts = 0;
  const std::int64_t result = retrying.InTransaction([&](Tx& tx) {
    if (++attempts == 1) tx.Run("SELECT pg_terminate_backend(pg_backend_pid())");
    Poco::Int64 one = 0;
    tx.Run("SELECT 1", into(one));
    return static_cast<std::int64_t>(one);
  });
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(result, 1);
}

// 10. Statements run again and again (on SQLite from the connection's statement cache)
// count rows as on first use, bind every value afresh, follow schema changes and keep
// working after a failure and after more distinct statements than the cache holds.
TEST_P(StoreIt, RepeatedStatementsBehaveAsFresh) {
  StoreOptions options = Options();
  options.pool_size = 1;  // every transaction reuses the one connection and its statements
  Store store(options);
  CreateItems(store);
  const std::string insert = "INSERT INTO items (id, label) VALUES (?, ?) ON CONFLICT (id) DO NOTHING";
  for (int round = 0; round < 3; ++round) {
    store.InTransaction([&](Tx& tx) {
      EXPECT_EQ(tx.Run(insert, 1, "one"), round == 0 ? 1u : 0u);
      EXPECT_EQ(tx.Run(insert, 10 + round, std::string("r") + std::to_string(round)), 1u);
      EXPECT_EQ(tx.Run("UPDATE items SET label = ? WHERE id >= ?", "many", 10), static_cast<std::size_t>(round + 1));
    });
  }
  EXPECT_EQ(Count(store, "SELECT COUNT(*) FROM items"), 4);

  // A failed execution leaves the statement usable; its values do not leak into the next.
  EXPECT_THROW(store.InTransaction([&](Tx& tx) { tx.Run("INSERT INTO items (id, label) VALUES (?, ?)", 1, "dup"); }),
               StoreError);
  store.InTransaction([&](Tx& tx) {
    EXPECT_EQ(tx.Run("INSERT INTO items (id, label) VALUES (?, ?)", 2, std::optional<std::string>("two")), 1u);
  });
  std::string label;
  store.InTransaction([&](Tx& tx) { tx.Run("SELECT label FROM items WHERE id = ?", into(label), 2); });
  EXPECT_EQ(label, "two");

  // A column added after the statement was first prepared.
  store.InTransaction([](Tx& tx) { tx.RunScript("ALTER TABLE items ADD COLUMN weight DOUBLE PRECISION"); });
  const std::string update = "UPDATE items SET label = ?, weight = ? WHERE id = ?";
  store.InTransaction([&](Tx& tx) { EXPECT_EQ(tx.Run(update, "heavy", 2.5, 2), 1u); });
  store.InTransaction([&](Tx& tx) { EXPECT_EQ(tx.Run(update, "light", std::nullopt, 2), 1u); });
  std::optional<double> weight = 1.0;
  store.InTransaction([&](Tx& tx) { tx.Run("SELECT label, weight FROM items WHERE id = ?", into(label), into(weight), 2); });
  EXPECT_EQ(label, "light");
  EXPECT_EQ(weight, std::nullopt);

  // More distinct statements than the cache keeps, then the first ones again.
  store.InTransaction([&](Tx& tx) {
    for (int i = 0; i < 300; ++i) {
      tx.Run("UPDATE items SET label = ? WHERE id = " + std::to_string(1000 + i), "none");
    }
    EXPECT_EQ(tx.Run(insert, 3, "three"), 1u);
    EXPECT_EQ(tx.Run("DELETE FROM items WHERE id >= ?", 10), 3u);
  });
  EXPECT_EQ(Count(store, "SELECT COUNT(*) FROM items"), 3);
}

}  // namespace
}  // namespace choreo::store
