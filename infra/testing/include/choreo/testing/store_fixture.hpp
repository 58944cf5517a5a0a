#pragma once
// A gtest fixture for the tests that run the same checks on SQLite and on PostgreSQL: a
// database of its own per test (TestDatabase) and a store on it, with the two shapes such
// tests repeat (put a row in place, read through a reader in a transaction of its own).
//
//   class PaymentFacts : public testing::StoreFixture {
//    protected:
//     void SetUp() override { OpenStore("payfacts").Migrate("payment", Migrations()); }
//   };
//   TEST_P(PaymentFacts, ...) { Exec("INSERT ...", id); auto rows = ReadWith(facts::ReadPayments); }
//   INSTANTIATE_TEST_SUITE_P(Stores, PaymentFacts, testing::EveryStore(), testing::StoreName);
//
// Header-only, so choreo::testing itself does not link gtest: only tests include it.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

#include "choreo/store/store.hpp"
#include "choreo/testing/test_database.hpp"

namespace choreo::testing {

class StoreFixture : public ::testing::TestWithParam<DbKind> {
 protected:
  // A fresh database of GetParam()'s kind whose name starts with `prefix`, and a store on
  // it; returns the store for the test's schema (migrations, seeds).
  store::Store& OpenStore(std::string_view prefix) {
    db_ = std::make_unique<TestDatabase>(GetParam(), prefix);
    store_ = std::make_unique<store::Store>(db_->Url());
    return *store_;
  }

  // Runs one statement in a transaction of its own: a row the test puts in place.
  template <class... Parts>
  void Exec(std::string_view sql, const Parts&... parts) {
    store_->InTransaction([&](store::Tx& tx) { tx.Run(sql, parts...); });
  }

  // What `reader(tx)` returns in a transaction of its own (a facts reader, a query).
  template <class Reader>
  auto ReadWith(Reader&& reader) {
    return store_->InTransaction([&](store::Tx& tx) { return reader(tx); });
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<store::Store> store_;
};

// What INSTANTIATE_TEST_SUITE_P takes to run a fixture on both stores, named after them.
inline auto EveryStore() { return ::testing::Values(DbKind::kSqlite, DbKind::kPostgres); }
inline std::string StoreName(const ::testing::TestParamInfo<DbKind>& info) { return DbKindName(info.param); }

}  // namespace choreo::testing
