#pragma once
// The provider stand-in's wire protocol, independent of HTTP and of the ledger: request
// validation, the fingerprint that decides "same request" for an idempotency key, and
// RFC 9457 problem documents. Pure functions, unit-tested without I/O.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace choreo::provider {

// A request the provider refuses with 400: malformed JSON, a missing or mistyped field,
// a missing Idempotency-Key. what() is the problem's detail, safe to show to the caller.
class InvalidRequest : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Payment tokens understood by the stand-in; they let a test or a client choose the
// provider's answer (docs/architecture.md, The order flow).
inline constexpr std::string_view kTokenOk = "tok_ok";
inline constexpr std::string_view kTokenDecline = "tok_decline";
inline constexpr std::string_view kTokenFlaky = "tok_flaky";
// Succeeds, but only after ProviderServerOptions::slow_ms: makes a capture arrive after a
// short reservation deadline (the expiry-against-capture race of docs/architecture.md,
// The order flow).
inline constexpr std::string_view kTokenSlow = "tok_slow";

// Idempotency keys are opaque to the provider; the bound keeps ledger rows and log lines
// sane and the character set keeps them printable in both.
inline constexpr std::size_t kMaxIdempotencyKeyLength = 255;

struct ChargeRequest {
  std::string order_id;
  std::int64_t amount_minor = 0;
  std::string currency;  // ISO 4217, three upper-case letters
  std::string token;
};

struct RefundRequest {
  std::string charge_id;
  std::int64_t amount_minor = 0;
  std::string reason;
};

struct EmailRequest {
  std::string to;
  std::string template_name;  // "template" on the wire
  std::string order_id;
  std::string subject;
  std::string body;
};

// Parse and validate a request body. Unknown fields are ignored. Throw InvalidRequest.
ChargeRequest ParseChargeRequest(const nlohmann::json& body);
RefundRequest ParseRefundRequest(const nlohmann::json& body);
EmailRequest ParseEmailRequest(const nlohmann::json& body);

// The validated request in its canonical wire form (keys sorted, unknown fields dropped).
nlohmann::json ToJson(const ChargeRequest& request);
nlohmann::json ToJson(const RefundRequest& request);
nlohmann::json ToJson(const EmailRequest& request);

// Parses a request body; throws InvalidRequest when it is not a JSON object.
nlohmann::json ParseJsonObject(std::string_view text);

// Throws InvalidRequest for an empty, overlong or non-printable-ASCII key.
void ValidateIdempotencyKey(std::string_view key);

// SHA-256 (hex) of the endpoint and the canonical request. Computed from the validated
// request rather than the raw bytes, so whitespace, key order and unknown fields do not
// turn a retry into a "different request" (422), while any change of a field that
// matters does.
std::string RequestFingerprint(std::string_view endpoint, const nlohmann::json& canonical_request);

// Problem types of the provider's answers: "urn:choreo:provider:<slug>".
inline constexpr std::string_view kProblemTypePrefix = "urn:choreo:provider:";

// An RFC 9457 problem document (choreo::http::ToJson) of type kProblemTypePrefix + slug.
nlohmann::json Problem(int status, std::string_view slug, std::string_view title, std::string_view detail);

}  // namespace choreo::provider
