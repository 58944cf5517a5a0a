#pragma once
// A database of its own for one test: a temporary SQLite file, or a fresh schema on the
// test PostgreSQL server (CHOREO_TEST_PG_URL) selected through the URL's search_path.
// Removed on destruction, so tests can run in parallel and leave nothing behind.
#include <string>
#include <string_view>

namespace choreo::testing {

enum class DbKind { kSqlite, kPostgres };

// "sqlite" / "postgres", for parameterised test names.
std::string DbKindName(DbKind kind);

class TestDatabase {
 public:
  explicit TestDatabase(DbKind kind, std::string_view prefix = "t");
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  DbKind Kind() const { return kind_; }
  // A store URL for choreo::store::Store.
  const std::string& Url() const { return url_; }

 private:
  DbKind kind_;
  std::string name_;  // file path (SQLite) or schema name (PostgreSQL)
  std::string url_;
};

}  // namespace choreo::testing
