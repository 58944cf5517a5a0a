// Integration tests of Tx::Run's PostgreSQL fast path (prepared statements kept per
// connection, src/postgres_statements.cpp) against CHOREO_TEST_PG_URL. Where it matters,
// a statement runs both ways, fast and through Poco (a bind(...) part sends it there),
// and the two must agree: the fast path is only an optimisation.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <Poco/Data/Binding.h>
#include <Poco/Nullable.h>

#include "choreo/store/store.hpp"
#include "choreo/testing/test_database.hpp"

namespace choreo::store {
namespace {

using Poco::Data::Keywords::bind;
using Poco::Data::Keywords::into;
using testing::DbKind;
using testing::TestDatabase;

class PostgresFastPathIt : public ::testing::Test {
 protected:
  StoreOptions Options(std::size_t pool_size = 1) const {
    StoreOptions options;
    options.url = db_.Url();
    options.pool_size = pool_size;  // one connection: every transaction sees its statements
    options.transient_retries = 0;  // errors reach the test as classified
    return options;
  }

  // Prepared statements of the store's connection named by the fast path, with `text`
  // ($n placeholders) if given, and how often they ran.
  static std::int64_t CachedStatements(Tx& tx, const std::string& text = "") {
    Poco::Int64 n = -1;
    tx.Run("SELECT COUNT(*) FROM pg_prepared_statements WHERE name LIKE 'choreo\\_%' AND (? = '' OR statement = ?)",
           into(n), bind(text), bind(text));  // through Poco, so it adds no statement of its own
    return n;
  }
  static std::int64_t Executions(Tx& tx, const std::string& text) {
    Poco::Int64 n = -1;
    tx.Run("SELECT COALESCE(SUM(generic_plans + custom_plans), 0) FROM pg_prepared_statements WHERE statement = ?",
           into(n), bind(text));
    return n;
  }

  TestDatabase db_{DbKind::kPostgres, "pgfast"};
};

// Every value type the fast path binds and every target type it fills, NULLs included,
// read back both ways with the same results.
TEST_F(PostgresFastPathIt, ValuesAndTargetsRoundTripAsThroughPoco) {
  Store store(Options());
  store.InTransaction([](Tx& tx) {
    tx.RunScript(
        "CREATE TABLE vals (id BIGINT PRIMARY KEY, flag BOOLEAN, small SMALLINT, mid INTEGER, big BIGINT,"
        " real_v REAL, dbl DOUBLE PRECISION, txt TEXT, num NUMERIC(12, 2))");
  });
  const std::string large(1 << 20, 'x');
  const std::string unicode = "Grüße, 世界 🚀 \"quoted\" 'single' \\ $1 ?";
  const std::int64_t max = std::numeric_limits<std::int64_t>::max();
  const std::int64_t min = std::numeric_limits<std::int64_t>::min();
  const std::string_view view = std::string_view(unicode).substr(0, 6);  // not NUL-terminated
  store.InTransaction([&](Tx& tx) {
    const std::string insert = "INSERT INTO vals VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
    EXPECT_EQ(tx.Run(insert, 1, true, std::int16_t{-7}, 123456, max, 1.5f, 0.1, unicode, 12.25), 1u);
    EXPECT_EQ(tx.Run(insert, 2, false, std::uint8_t{200}, -1, min, -2.75, 1e300, view, std::optional<double>(-3)), 1u);
    EXPECT_EQ(tx.Run(insert, 3, std::nullopt, std::optional<int>(), nullptr, std::optional<std::int64_t>(),
                     std::optional<float>(), std::optional<double>(), std::optional<std::string>(), std::nullopt),
              1u);
    EXPECT_EQ(tx.Run(insert, 4, std::optional<bool>(true), 0, 0, 0, 0.0, -0.0, large, std::optional<std::string_view>("0")), 1u);
    EXPECT_EQ(tx.Run(insert, 5, true, 1, 2, 3, 4.0, 5.0, "", "7"), 1u);
    EXPECT_EQ(CachedStatements(tx, "INSERT INTO vals VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"), 1);
  });

  struct Row {
    bool flag = false;
    Poco::Int16 small = 0;
    Poco::Int32 mid = 0;
    Poco::Int64 big = 0;
    float real_v = 0;
    double dbl = 0;
    std::string txt;
    double num = 0;
    std::optional<bool> opt_flag;
    std::optional<Poco::Int64> opt_big;
    Poco::Nullable<std::string> nullable_txt;
    std::optional<double> opt_num;
    Poco::UInt64 ubig = 0;
    char first = '?';
    bool operator==(const Row&) const = default;
  };
  auto read = [&](std::int64_t id, bool through_poco) {
    return store.InTransaction([&](Tx& tx) {
      Row r;
      const std::string sql =
          "SELECT flag, small, mid, big, real_v, dbl, txt, num, flag, big, txt, num, big, txt FROM vals WHERE id = ?";
      const std::size_t n =
          through_poco ? tx.Run(sql, into(r.flag), into(r.small), into(r.mid), into(r.big), into(r.real_v), into(r.dbl),
                                into(r.txt), into(r.num), into(r.opt_flag), into(r.opt_big), into(r.nullable_txt),
                                into(r.opt_num), into(r.ubig), into(r.first), bind(id))
                       : tx.Run(sql, into(r.flag), into(r.small), into(r.mid), into(r.big), into(r.real_v), into(r.dbl),
                                into(r.txt), into(r.num), into(r.opt_flag), into(r.opt_big), into(r.nullable_txt),
                                into(r.opt_num), into(r.ubig), into(r.first), id);
      EXPECT_EQ(n, 1u);
      return r;
    });
  };
  for (std::int64_t id = 1; id <= 5; ++id) {
    SCOPED_TRACE(id);
    EXPECT_EQ(read(id, false), read(id, true));
  }
  const Row one = read(1, false);
  EXPECT_TRUE(one.flag);
  EXPECT_EQ(one.small, -7);
  EXPECT_EQ(one.mid, 123456);
  EXPECT_EQ(one.big, max);
  EXPECT_FLOAT_EQ(one.real_v, 1.5f);
  EXPECT_DOUBLE_EQ(one.dbl, 0.1);
  EXPECT_EQ(one.txt, unicode);
  EXPECT_DOUBLE_EQ(one.num, 12.25);
  EXPECT_EQ(one.opt_big, max);
  EXPECT_EQ(read(2, false).big, min);
  EXPECT_EQ(read(2, false).small, 200);
  EXPECT_DOUBLE_EQ(read(2, false).dbl, 1e300);
  EXPECT_EQ(read(2, false).txt, std::string(view));

  const Row null_row = read(3, false);
  EXPECT_EQ(null_row.opt_flag, std::nullopt);
  EXPECT_EQ(null_row.opt_big, std::nullopt);
  EXPECT_TRUE(null_row.nullable_txt.isNull());
  EXPECT_EQ(null_row.opt_num, std::nullopt);
  EXPECT_EQ(null_row.txt, "");  // NULL into a plain target leaves its default
  EXPECT_EQ(read(4, false).txt, large);
  EXPECT_EQ(read(5, false).txt, "");
  EXPECT_FALSE(read(5, false).nullable_txt.isNull());  // empty is not NULL

  // Vectors of plain and optional targets.
  store.InTransaction([&](Tx& tx) {
    std::vector<Poco::Int64> ids;
    std::vector<std::optional<std::string>> texts;
    std::vector<bool> flags;
    EXPECT_EQ(tx.Run("SELECT id, txt, COALESCE(flag, false) FROM vals WHERE id <> ? ORDER BY id", into(ids),
                     into(texts), into(flags), 4),
              4u);
    EXPECT_EQ(ids, (std::vector<Poco::Int64>{1, 2, 3, 5}));
    EXPECT_EQ(texts, (std::vector<std::optional<std::string>>{unicode, std::string(view), std::nullopt, ""}));
    EXPECT_EQ(flags, (std::vector<bool>{true, false, false, true}));
  });
}

// Row counts and targets for 0, 1 and several rows match Poco's, including the error for
// several rows into a single value.
TEST_F(PostgresFastPathIt, RowCountsMatchPoco) {
  Store store(Options());
  store.InTransaction([](Tx& tx) {
    tx.RunScript("CREATE TABLE items (id BIGINT PRIMARY KEY, label TEXT NOT NULL)");
    for (int id = 1; id <= 3; ++id) tx.Run("INSERT INTO items (id, label) VALUES (?, ?)", id, "l" + std::to_string(id));
  });
  store.InTransaction([](Tx& tx) {
    std::string fast = "untouched";
    std::string poco = "untouched";
    EXPECT_EQ(tx.Run("SELECT label FROM items WHERE id = ?", into(fast), 99), 0u);
    EXPECT_EQ(tx.Run("SELECT label FROM items WHERE id = ?", into(poco), bind(99)), 0u);
    EXPECT_EQ(fast, "untouched");
    EXPECT_EQ(poco, "untouched");
    // No targets: the rows fetched; an UPDATE: the rows changed.
    EXPECT_EQ(tx.Run("SELECT id FROM items WHERE id >= ?", 2), 2u);
    EXPECT_EQ(tx.Run("SELECT id FROM items WHERE id >= ?", bind(2)), 2u);
    EXPECT_EQ(tx.Run("UPDATE items SET label = label WHERE id >= ?", 2), 2u);
    EXPECT_EQ(tx.Run("UPDATE items SET label = label WHERE id >= ?", bind(2)), 2u);
    EXPECT_EQ(tx.Run("UPDATE items SET label = label WHERE id > ?", 5), 0u);
    std::vector<std::string> labels;
    EXPECT_EQ(tx.Run("SELECT label FROM items ORDER BY id", into(labels)), 3u);
    EXPECT_EQ(labels, (std::vector<std::string>{"l1", "l2", "l3"}));
  });
  // Several rows into one value: an error both ways, the same error.
  std::string fast_error;
  std::string poco_error;
  try {
    store.InTransaction([](Tx& tx) {
      std::string label;
      tx.Run("SELECT label FROM items WHERE id > ? ORDER BY id", into(label), 0);
    });
  } catch (const TransientStoreError&) {
    ADD_FAILURE() << "classified transient";
  } catch (const StoreError& error) {
    fast_error = error.what();
  }
  try {
    store.InTransaction([](Tx& tx) {
      std::string label;
      tx.Run("SELECT label FROM items WHERE id > ? ORDER BY id", into(label), bind(0));
    });
  } catch (const StoreError& error) {
    poco_error = error.what();
  }
  EXPECT_FALSE(fast_error.empty());
  EXPECT_EQ(fast_error, poco_error);
}

// Errors classify as through Poco: constraint violations and bad SQL are permanent.
TEST_F(PostgresFastPathIt, ErrorsClassifyAsThroughPoco) {
  Store store(Options());
  store.InTransaction([](Tx& tx) { tx.RunScript("CREATE TABLE items (id BIGINT PRIMARY KEY, label TEXT NOT NULL)"); });
  const std::string insert = "INSERT INTO items (id, label) VALUES (?, ?)";
  store.InTransaction([&](Tx& tx) { tx.Run(insert, 1, "one"); });  // prepared and cached
  auto classify = [&](auto&& body) -> std::string {
    try {
      store.InTransaction(body);
    } catch (const TransientStoreError& error) {
      return std::string("transient: ") + error.what();
    } catch (const StoreError& error) {
      return std::string("permanent: ") + error.what();
    }
    return "no error";
  };
  const std::string fast_duplicate = classify([&](Tx& tx) { tx.Run(insert, 1, "again"); });
  const std::string poco_duplicate = classify([&](Tx& tx) { tx.Run(insert, bind(1), bind(std::string("again"))); });
  EXPECT_TRUE(fast_duplicate.starts_with("permanent: ")) << fast_duplicate;
  EXPECT_NE(fast_duplicate.find("duplicate key"), std::string::npos) << fast_duplicate;
  EXPECT_TRUE(poco_duplicate.starts_with("permanent: ")) << poco_duplicate;
  EXPECT_TRUE(classify([&](Tx& tx) { tx.Run(insert, 2, std::nullopt); }).starts_with("permanent: "));  // NOT NULL
  EXPECT_TRUE(classify([&](Tx& tx) { tx.Run("SELEC label FROM items WHERE id = ?", 1); }).starts_with("permanent: "));
  EXPECT_TRUE(classify([&](Tx& tx) { tx.Run(insert, 3); }).starts_with("permanent: "));  // a parameter short
  EXPECT_TRUE(classify([&](Tx& tx) { tx.Run(insert, "three", "3"); }).starts_with("permanent: "));  // not a number
  // The failed statements left the cached one usable.
  store.InTransaction([&](Tx& tx) { EXPECT_EQ(tx.Run(insert, 4, "four"), 1u); });
}

// A statement is prepared once per connection and reused by later transactions, also
// after one was rolled back; a result type changed by ALTER TABLE prepares it afresh.
TEST_F(PostgresFastPathIt, StatementsAreReusedAcrossTransactions) {
  Store store(Options());
  store.InTransaction([](Tx& tx) { tx.RunScript("CREATE TABLE items (id BIGINT PRIMARY KEY, label TEXT)"); });
  const std::string select = "SELECT * FROM items WHERE id = ?";
  for (int round = 0; round < 3; ++round) {
    store.InTransaction([&](Tx& tx) {
      tx.Run("INSERT INTO items (id, label) VALUES (?, ?)", round, "x");
      Poco::Int64 id = -1;
      EXPECT_EQ(tx.Run(select, into(id), round), 1u);
      EXPECT_EQ(id, round);
    });
  }
  EXPECT_THROW(store.InTransaction([&](Tx& tx) {
    tx.Run("UPDATE items SET label = ? WHERE id = ?", "rolled back", 0);  // prepared in this transaction
    throw std::runtime_error("roll back");
  }),
               std::runtime_error);
  store.InTransaction([&](Tx& tx) {
    EXPECT_EQ(tx.Run("UPDATE items SET label = ? WHERE id = ?", "kept", 0), 1u);
    EXPECT_EQ(CachedStatements(tx, "INSERT INTO items (id, label) VALUES ($1, $2)"), 1);
    EXPECT_EQ(Executions(tx, "INSERT INTO items (id, label) VALUES ($1, $2)"), 3);
    EXPECT_EQ(CachedStatements(tx, "SELECT * FROM items WHERE id = $1"), 1);
    EXPECT_EQ(CachedStatements(tx, "UPDATE items SET label = $1 WHERE id = $2"), 1);
    EXPECT_EQ(Executions(tx, "UPDATE items SET label = $1 WHERE id = $2"), 2);
  });

  // `SELECT *` now returns another column: the cached plan fails once, as a transient
  // error, and the retried transaction prepares the statement again.
  store.InTransaction([](Tx& tx) { tx.RunScript("ALTER TABLE items ADD COLUMN weight DOUBLE PRECISION"); });
  StoreOptions retrying_options = Options();
  retrying_options.transient_retries = 1;
  Store retrying(retrying_options);
  retrying.InTransaction([&](Tx& tx) { tx.Run(select, 1); });  // this connection's copy, before the change...
  retrying.InTransaction([](Tx& tx) { tx.RunScript("ALTER TABLE items ADD COLUMN extra TEXT"); });
  Poco::Int64 id = -1;
  std::string label;
  retrying.InTransaction([&](Tx& tx) { tx.Run(select, into(id), into(label), 1); });  // ...after it
  EXPECT_EQ(id, 1);
  EXPECT_EQ(label, "x");
}

// A connection killed from outside fails the transaction as TransientStoreError; the
// next transaction gets a new connection whose cache starts empty and works.
TEST_F(PostgresFastPathIt, KilledConnectionIsTransientAndTheNextTransactionWorks) {
  Store store(Options());
  Store killer(Options());
  store.InTransaction([](Tx& tx) { tx.RunScript("CREATE TABLE items (id BIGINT PRIMARY KEY, label TEXT)"); });
  const std::string insert = "INSERT INTO items (id, label) VALUES (?, ?)";
  store.InTransaction([&](Tx& tx) { tx.Run(insert, 1, "one"); });  // cached on this connection
  std::int64_t victim = 0;
  EXPECT_THROW(store.InTransaction([&](Tx& tx) {
    Poco::Int64 pid = 0;
    tx.Run("SELECT pg_backend_pid()", into(pid));
    victim = pid;
    killer.InTransaction([&](Tx& other) {
      bool gone = false;
      other.Run("SELECT pg_terminate_backend(?::int, 10000)", into(gone), pid);  // waits until it has exited
      EXPECT_TRUE(gone);
    });
    tx.Run(insert, 2, "two");  // the cached statement, on a dead connection
  }),
               TransientStoreError);
  store.InTransaction([&](Tx& tx) {
    Poco::Int64 pid = 0;
    tx.Run("SELECT pg_backend_pid()", into(pid));
    EXPECT_NE(pid, victim);
    EXPECT_EQ(CachedStatements(tx, "INSERT INTO items (id, label) VALUES ($1, $2)"), 0);
    EXPECT_EQ(tx.Run(insert, 2, "two"), 1u);
  });
  std::vector<Poco::Int64> ids;
  store.InTransaction([&](Tx& tx) { tx.Run("SELECT id FROM items ORDER BY id", into(ids)); });
  EXPECT_EQ(ids, (std::vector<Poco::Int64>{1, 2}));
}

}  // namespace
}  // namespace choreo::store
