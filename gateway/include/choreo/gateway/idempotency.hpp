#pragma once
// Idempotency-Key support for POST /orders.
//
// What is compared: the SHA-256 of the body's canonical form (parsed, then dumped with
// sorted keys and no whitespace), so the same order sent with other spacing or key order
// counts as the same request, while any change of a value does not.
//
// In flight: InFlightKeys is an in-process set of the keys whose request is being handled
// right now; a second request with such a key gets 409 at once. Across replicas sharing
// one database the idempotency table's primary key decides: the later transaction's claim
// of the key finds it taken (PostgreSQL waits for the first to commit) and answers with
// the stored response.
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace choreo::gateway {

inline constexpr std::size_t kMaxIdempotencyKeyLength = 255;

// 1..255 printable ASCII characters (0x20..0x7E).
bool IsValidIdempotencyKey(std::string_view key);

// Lower-case hex SHA-256 of `body.dump()` (nlohmann sorts object keys).
std::string RequestHash(const nlohmann::json& body);
// RequestHash from `body.dump()` already made (saves dumping the body twice).
std::string CanonicalRequestHash(std::string_view canonical_body);

// Lower-case hex SHA-256 of arbitrary text.
std::string Sha256Hex(std::string_view text);

class InFlightKeys {
 public:
  // Releases its key when destroyed.
  class Lease {
   public:
    Lease(InFlightKeys& owner, std::string key) : owner_(&owner), key_(std::move(key)) {}
    Lease(Lease&& other) noexcept : owner_(other.owner_), key_(std::move(other.key_)) { other.owner_ = nullptr; }
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease() {
      if (owner_ != nullptr) owner_->Release(key_);
    }

   private:
    InFlightKeys* owner_;
    std::string key_;
  };

  // nullopt when `key` is already being handled.
  std::optional<Lease> TryAcquire(const std::string& key);
  std::size_t Size() const;

 private:
  void Release(const std::string& key);

  mutable std::mutex mutex_;
  std::set<std::string> keys_;
};

}  // namespace choreo::gateway
