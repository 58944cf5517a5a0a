#pragma once
// Store failures as two exception types, so callers decide "retry or give up" without
// knowing which database sits behind the store. The mapping from SQLite result codes,
// PostgreSQL SQLSTATEs and Poco::Data exceptions happens only in src/errors.cpp.
#include <stdexcept>
#include <string>
#include <string_view>

namespace Poco {
class Exception;
}

namespace choreo::store {

// Any database failure: constraint violations, syntax errors, schema mismatches, ...
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A failure that may go away if the whole transaction is tried again: SQLite busy/locked,
// PostgreSQL serialization failure (40001), deadlock (40P01), lost or refused connection
// (08xxx, 57P0x), a transaction ended for idling (25P03), no free session in the pool.
// Derives from StoreError so a plain `catch (const StoreError&)` still sees it.
class TransientStoreError : public StoreError {
 public:
  using StoreError::StoreError;
};

// True for PostgreSQL SQLSTATEs worth retrying (see TransientStoreError).
bool IsTransientSqlState(std::string_view sqlstate);

namespace detail {
// Rethrows a Poco exception as StoreError / TransientStoreError. `context` (usually the
// SQL text, never parameter values) is prefixed to the message.
[[noreturn]] void ThrowStoreError(const Poco::Exception& error, std::string_view context);
}  // namespace detail

}  // namespace choreo::store
