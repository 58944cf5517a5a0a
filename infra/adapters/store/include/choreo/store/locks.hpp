#pragma once
// Named locks held until the transaction that takes them ends.
//
// Row locks serialise transactions that touch the same row, but only in the order they
// reach the rows: two transactions that lock the same rows in different orders deadlock,
// and PostgreSQL breaks a deadlock only after `deadlock_timeout` (1 s by default), failing
// one of them. A named lock taken first puts such transactions in one queue instead, and
// also covers rows that do not exist yet (there is nothing to SELECT ... FOR UPDATE).
#include <cstdint>
#include <string_view>

#include "choreo/store/tx.hpp"

namespace choreo::store {

// The 64-bit key of `name` (FNV-1a): the same in every process and build, which
// std::hash does not promise.
std::int64_t LockKeyOf(std::string_view name);

// Blocks until no other transaction holds `name`, then holds it until `tx` commits or
// rolls back. Taking it again in the same transaction is allowed and changes nothing.
// PostgreSQL: a transaction-scoped advisory lock on LockKeyOf(name). SQLite: nothing,
// since a write transaction already holds the database's only writer lock (BEGIN
// IMMEDIATE) from its start.
void LockUntilEnd(Tx& tx, std::string_view name);

}  // namespace choreo::store
