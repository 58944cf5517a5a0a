#pragma once
// Client of the payment / mail provider, for the payment and notification workers.
//
//   choreo::provider::ProviderClient provider({.base_url = "http://127.0.0.1:8090"});
//   auto charge = provider.Charge("charge:" + order_id, order_id, 1999, "EUR", token);
//   if (charge.Captured()) { ... charge.charge_id ... } else { ... charge.decline_reason ... }
//
// Every call carries the caller's idempotency key, derived from the order and the step
// (e.g. "charge:<order_id>"). Repeating a call with the same key and arguments is always
// safe: the provider answers with the first result and applies nothing twice. So:
//  - a result (also a decline) is final for that key;
//  - ProviderUnavailable means "outcome unknown or not applied yet": retry later with the
//    SAME key and arguments (the worker's transient-retry path);
//  - ProviderRejected is permanent: retrying the same request gives the same answer.
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace choreo::provider {

struct ProviderClientOptions {
  std::string base_url = "http://127.0.0.1:8090";
  // Bound of each network step (connect, send, each wait for response bytes).
  std::chrono::milliseconds timeout{5000};

  void Validate() const;  // throws std::invalid_argument naming the field
};

enum class ChargeStatus { kCaptured, kDeclined };

struct ChargeResult {
  ChargeStatus status = ChargeStatus::kDeclined;
  std::string charge_id;       // also set for declines: the provider records them
  std::string decline_reason;  // "card_declined" | "invalid_token"; empty when captured
  std::int64_t amount_minor = 0;  // what was charged (or declined)
  std::string currency;
  bool replayed = false;       // the provider answered from an earlier call with this key

  bool Captured() const { return status == ChargeStatus::kCaptured; }
};

struct RefundResult {
  std::string refund_id;
  bool replayed = false;
};

struct EmailResult {
  std::string email_id;
  bool replayed = false;
};

class ProviderError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Transient: no response (connection refused, reset, timeout), a 5xx, or a response that
// could not be understood. The effect may or may not have happened; the same key makes
// the retry safe either way.
class ProviderUnavailable : public ProviderError {
 public:
  explicit ProviderUnavailable(const std::string& message, int http_status = 0)
      : ProviderError(message), http_status_(http_status) {}
  // The provider's status code, 0 when there was no response.
  int HttpStatus() const { return http_status_; }

 private:
  int http_status_;
};

enum class RejectReason {
  kInvalidRequest,        // the request itself is wrong (missing field, bad amount, ...)
  kNotFound,              // e.g. refund of an unknown charge
  kConflict,              // e.g. refunds would exceed the captured amount
  kIdempotencyKeyReused,  // the key was first used with different arguments
  kOther,
};

// Permanent: the provider refused the request and will refuse it again.
class ProviderRejected : public ProviderError {
 public:
  ProviderRejected(const std::string& message, RejectReason reason, int http_status)
      : ProviderError(message), reason_(reason), http_status_(http_status) {}
  RejectReason Reason() const { return reason_; }
  int HttpStatus() const { return http_status_; }

 private:
  RejectReason reason_;
  int http_status_;
};

// Thread-safe: holds only immutable options, and each call opens its own connection (a
// loopback connect costs little next to the ledger's fsync, and no stale keep-alive
// connection can turn into a spurious ProviderUnavailable). Share one instance freely.
class ProviderClient {
 public:
  // Throws std::invalid_argument for invalid options.
  explicit ProviderClient(ProviderClientOptions options = {});

  // A decline is a normal result. Throws ProviderUnavailable, ProviderRejected,
  // std::invalid_argument (empty idempotency key).
  ChargeResult Charge(std::string_view idempotency_key, std::string_view order_id,
                      std::int64_t amount_minor, std::string_view currency, std::string_view token);
  // The charge made under `idempotency_key` (captured or declined; `replayed` is false),
  // or nullopt when none was made: for a caller that lost the answer to its Charge call
  // and must not charge again. nullopt is not final while that call may still be in
  // flight. Throws ProviderUnavailable, ProviderRejected, std::invalid_argument (empty
  // key).
  std::optional<ChargeResult> FindCharge(std::string_view idempotency_key);
  RefundResult Refund(std::string_view idempotency_key, std::string_view charge_id,
                      std::int64_t amount_minor, std::string_view reason);
  EmailResult SendEmail(std::string_view idempotency_key, std::string_view to,
                        std::string_view template_name, std::string_view order_id,
                        std::string_view subject, std::string_view body);

  const ProviderClientOptions& Options() const { return options_; }

 private:
  ProviderClientOptions options_;
  std::string host_;
  std::uint16_t port_ = 0;
};

}  // namespace choreo::provider
