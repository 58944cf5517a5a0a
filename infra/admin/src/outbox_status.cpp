#include <filesystem>
#include <stdexcept>

#include "choreo/admin/admin.hpp"
#include "choreo/outbox/outbox.hpp"
#include "choreo/secrets/redact.hpp"
#include "choreo/store/store.hpp"

namespace choreo::admin {

OutboxReport OutboxStatus(const std::string& store_url) {
  if (store_url.empty()) {
    throw UsageError("outbox status needs a store: --store URL or CHOREO_STORE_URL "
                     "(sqlite:PATH or postgresql://user@host:port/db)");
  }
  try {
    // Opening a SQLite path that does not exist would create an empty database there.
    store::StoreUrl parsed = store::ParseStoreUrl(store_url);
    if (parsed.dialect == store::Dialect::kSqlite && parsed.sqlite_path != ":memory:" &&
        !std::filesystem::exists(parsed.sqlite_path)) {
      throw UsageError("no SQLite database at '" + parsed.sqlite_path + "' (--store / CHOREO_STORE_URL)");
    }
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("invalid store URL: ") + e.what());
  }
  std::unique_ptr<store::Store> store;
  try {
    store = std::make_unique<store::Store>(store_url);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("invalid store URL: ") + e.what());
  } catch (const store::StoreError& e) {
    throw CommandError(std::string("cannot open the store: ") + e.what());
  }
  try {
    outbox::OutboxStatus status = outbox::Status(*store);
    return OutboxReport{status.pending, status.failing, status.oldest_pending_age,
                        status.last_sent_at_ms};
  } catch (const store::StoreError& e) {
    throw CommandError(std::string("cannot read the outbox of ") + secrets::RedactUrl(store_url) + ": " + e.what() +
                       " (does this store belong to a component that has started at least once?)");
  }
}

}  // namespace choreo::admin
