#pragma once
// Opening a component's store to read it (audit, outbox status), with errors that say
// which flag to fix.
#include <memory>
#include <string>

#include "choreo/store/store.hpp"

namespace choreo::admin {

struct StoreRole {
  std::string name;  // "order store", "store"
  std::string flag;  // where its URL came from: "--order-store", "--store / CHOREO_STORE_URL"
  std::string hint;  // what else the operator can do, appended to "no SQLite database"
};

// A store for reads only. UsageError for a malformed URL or a SQLite file that does not
// exist (opening it would create an empty database there); CommandError when it cannot
// be opened.
std::unique_ptr<store::Store> OpenStoreForReading(const std::string& url, const StoreRole& role);

}  // namespace choreo::admin
