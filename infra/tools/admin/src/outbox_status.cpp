#include "choreo/admin/admin.hpp"
#include "choreo/outbox/outbox.hpp"
#include "choreo/secrets/redact.hpp"
#include "store_reader.hpp"

namespace choreo::admin {

OutboxReport OutboxStatus(const std::string& store_url) {
  if (store_url.empty()) {
    throw UsageError(
        "outbox status needs a store: --store URL or CHOREO_STORE_URL "
        "(sqlite:PATH or postgresql://user@host:port/db)");
  }
  const std::string flag = "--store / CHOREO_STORE_URL";
  std::unique_ptr<store::Store> store = OpenStoreForReading(store_url, {"store", flag, flag});
  try {
    outbox::OutboxStatus status = outbox::Status(*store);
    return OutboxReport{status.pending, status.failing, status.oldest_pending_age, status.last_sent_at_ms};
  } catch (const store::StoreError& e) {
    throw CommandError(std::string("cannot read the outbox of ") + secrets::RedactUrl(store_url) + ": " + e.what() +
                       " (does this store belong to a component that has started at least once?)");
  }
}

}  // namespace choreo::admin
