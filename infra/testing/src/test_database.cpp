#include "choreo/testing/test_database.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "choreo/store/store.hpp"
#include "choreo/testing/testing.hpp"

namespace choreo::testing {

std::string DbKindName(DbKind kind) { return kind == DbKind::kSqlite ? "sqlite" : "postgres"; }

namespace {

// Schema names are generated here (letters, digits, underscores only), never taken from
// input, which is why they may be spliced into DDL: identifiers cannot be bound.
std::string SchemaName(std::string_view prefix) {
  std::string name = "t_" + UniqueName(prefix);
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  return name;
}

}  // namespace

TestDatabase::TestDatabase(DbKind kind, std::string_view prefix) : kind_(kind) {
  if (kind == DbKind::kSqlite) {
    name_ = (std::filesystem::temp_directory_path() / ("choreo-" + UniqueName(prefix) + ".db")).string();
    url_ = "sqlite:" + name_;
    return;
  }
  const std::string base = RequireEnv("CHOREO_TEST_PG_URL");
  name_ = SchemaName(prefix);
  store::Store admin(store::StoreOptions{.url = base, .pool_size = 1});
  admin.InTransaction([&](store::Tx& tx) { tx.RunScript("CREATE SCHEMA " + name_); });
  url_ = base + (base.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + name_;
}

TestDatabase::~TestDatabase() {
  try {
    if (kind_ == DbKind::kSqlite) {
      for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
        std::error_code ignored;
        std::filesystem::remove(name_ + suffix, ignored);
      }
    } else {
      store::Store admin(store::StoreOptions{.url = RequireEnv("CHOREO_TEST_PG_URL"), .pool_size = 1});
      admin.InTransaction([&](store::Tx& tx) { tx.RunScript("DROP SCHEMA IF EXISTS " + name_ + " CASCADE"); });
    }
  } catch (...) {
    // Best effort in a destructor; a leftover schema or temp file harms no other test.
  }
}

}  // namespace choreo::testing
