#include "choreo/gateway/idempotency.hpp"

#include <algorithm>

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

namespace choreo::gateway {

bool IsValidIdempotencyKey(std::string_view key) {
  return !key.empty() && key.size() <= kMaxIdempotencyKeyLength &&
         std::all_of(key.begin(), key.end(), [](char c) { return c >= 0x20 && c <= 0x7E; });
}

std::string Sha256Hex(std::string_view text) {
  Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
  engine.update(text.data(), static_cast<unsigned>(text.size()));
  return Poco::DigestEngine::digestToHex(engine.digest());
}

std::string RequestHash(const nlohmann::json& body) { return CanonicalRequestHash(body.dump()); }

std::string CanonicalRequestHash(std::string_view canonical_body) { return Sha256Hex(canonical_body); }

std::optional<InFlightKeys::Lease> InFlightKeys::TryAcquire(const std::string& key) {
  std::lock_guard lock(mutex_);
  if (!keys_.insert(key).second) return std::nullopt;
  return std::optional<Lease>(std::in_place, *this, key);
}

std::size_t InFlightKeys::Size() const {
  std::lock_guard lock(mutex_);
  return keys_.size();
}

void InFlightKeys::Release(const std::string& key) {
  std::lock_guard lock(mutex_);
  keys_.erase(key);
}

}  // namespace choreo::gateway
