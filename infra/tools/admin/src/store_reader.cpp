#include "store_reader.hpp"

#include <filesystem>
#include <stdexcept>

#include "choreo/admin/admin.hpp"
#include "choreo/secrets/redact.hpp"

namespace choreo::admin {

std::unique_ptr<store::Store> OpenStoreForReading(const std::string& url, const StoreRole& role) {
  try {
    store::StoreUrl parsed = store::ParseStoreUrl(url);
    if (parsed.dialect == store::Dialect::kSqlite && parsed.sqlite_path != ":memory:" &&
        !std::filesystem::exists(parsed.sqlite_path)) {
      throw UsageError("no SQLite database at '" + parsed.sqlite_path + "' for the " + role.name + " (" + role.hint +
                       ")");
    }
  } catch (const std::invalid_argument& e) {
    throw UsageError("invalid " + role.name + " URL (" + role.flag + "): " + e.what());
  }
  store::StoreOptions options;
  options.url = url;
  options.pool_size = 1;
  // Reads only: safe to repeat when a running worker holds the write lock a while.
  options.transient_retries = 5;
  try {
    return std::make_unique<store::Store>(options);
  } catch (const std::invalid_argument& e) {
    throw UsageError("invalid " + role.name + " URL (" + role.flag + "): " + e.what());
  } catch (const store::StoreError& e) {
    throw CommandError("cannot open the " + role.name + " " + secrets::RedactUrl(url) + ": " + e.what());
  }
}

}  // namespace choreo::admin
