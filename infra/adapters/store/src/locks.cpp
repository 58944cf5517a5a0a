#include "choreo/store/locks.hpp"

#include <Poco/Types.h>

namespace choreo::store {

std::int64_t LockKeyOf(std::string_view name) {
  std::uint64_t hash = 14695981039346656037ull;
  for (const char c : name) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return static_cast<std::int64_t>(hash);
}

void LockUntilEnd(Tx& tx, std::string_view name) {
  if (tx.Dialect() != Dialect::kPostgres) return;
  // Deferred: it goes to the server with the transaction's next statement, which runs
  // only once the lock is held.
  tx.Defer("SELECT pg_advisory_xact_lock(?)", LockKeyOf(name));
}

}  // namespace choreo::store
