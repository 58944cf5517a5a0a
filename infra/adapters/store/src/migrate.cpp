#include <stdexcept>
#include <string>
#include <vector>

#include "choreo/store/store.hpp"

namespace choreo::store {
namespace {

using Poco::Data::Keywords::into;

constexpr std::string_view kCreateSqlite = R"sql(
CREATE TABLE IF NOT EXISTS choreo_schema_migrations (
  component  TEXT    NOT NULL,
  version    INTEGER NOT NULL,
  name       TEXT    NOT NULL,
  applied_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (component, version)
))sql";

// The advisory lock serialises migrating processes, including their CREATE TABLE IF NOT
// EXISTS, which is not safe against itself under concurrency in PostgreSQL. The key is
// "choreo" in ASCII; the lock ends with the transaction.
constexpr std::string_view kCreatePostgres = R"sql(
SELECT pg_advisory_xact_lock(109300197516655);
CREATE TABLE IF NOT EXISTS choreo_schema_migrations (
  component  TEXT        NOT NULL,
  version    INTEGER     NOT NULL,
  name       TEXT        NOT NULL,
  applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (component, version)
))sql";

void CheckList(std::string_view component, const std::vector<Migration>& migrations) {
  auto fail = [&](const std::string& why) {
    throw std::invalid_argument("choreo::store::Migrate(" + std::string(component) + "): " + why);
  };
  if (component.empty()) fail("empty component name");
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    const Migration& m = migrations[i];
    if (m.version != static_cast<int>(i) + 1) {
      fail("versions must be 1, 2, 3, ... without gaps; position " + std::to_string(i + 1) +
           " holds version " + std::to_string(m.version));
    }
    if (m.name.empty()) fail("migration " + std::to_string(m.version) + " has no name");
    if (m.sql.empty()) fail("migration " + std::to_string(m.version) + " has no SQL");
  }
}

// Applies the first migration not yet recorded; false when there is none.
bool ApplyNext(Tx& tx, std::string_view component, const std::vector<Migration>& migrations) {
  tx.RunScript(tx.Dialect() == Dialect::kPostgres ? kCreatePostgres : kCreateSqlite);

  std::vector<Poco::Int64> versions;
  std::vector<std::string> names;
  tx.Run("SELECT version, name FROM choreo_schema_migrations WHERE component = ? ORDER BY version",
         into(versions), into(names), component);

  auto fail = [&](const std::string& why) {
    throw StoreError("choreo::store::Migrate(" + std::string(component) + "): " + why);
  };
  for (std::size_t i = 0; i < versions.size(); ++i) {
    if (versions[i] != static_cast<Poco::Int64>(i) + 1) {
      fail("recorded versions have a gap before version " + std::to_string(versions[i]));
    }
    if (i >= migrations.size()) {
      fail("database has version " + std::to_string(versions[i]) +
           ", newer than this build knows (" + std::to_string(migrations.size()) + ")");
    }
    if (names[i] != migrations[i].name) {
      fail("version " + std::to_string(versions[i]) + " was applied as '" + names[i] +
           "' but is now called '" + migrations[i].name + "'");
    }
  }
  if (versions.size() == migrations.size()) return false;

  const Migration& next = migrations[versions.size()];
  tx.RunScript(next.SqlFor(tx.Dialect()));
  tx.Run("INSERT INTO choreo_schema_migrations (component, version, name) VALUES (?, ?, ?)",
         component, next.version, next.name);
  return true;
}

}  // namespace

int Store::Migrate(std::string_view component, const std::vector<Migration>& migrations) {
  CheckList(component, migrations);
  int applied = 0;
  // One transaction per migration, each re-reading the records under the lock, so a
  // concurrent migrator's progress is seen and never repeated.
  while (InTransaction([&](Tx& tx) { return ApplyNext(tx, component, migrations); })) {
    ++applied;
  }
  return applied;
}

}  // namespace choreo::store
