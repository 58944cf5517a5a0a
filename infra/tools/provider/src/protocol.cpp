#include "choreo/provider/protocol.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include "choreo/http/problem.hpp"

namespace choreo::provider {

namespace {

// Bounds that keep one ledger row and one log line small; the stand-in has no reason to
// accept more.
constexpr std::size_t kMaxIdLength = 200;
constexpr std::size_t kMaxTextLength = 16 * 1024;

const nlohmann::json& Field(const nlohmann::json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) {
    throw InvalidRequest(std::string("missing field \"") + name + "\"");
  }
  return *it;
}

std::string String(const nlohmann::json& body, const char* name, std::size_t max_length,
                   bool allow_empty = false) {
  const nlohmann::json& value = Field(body, name);
  if (!value.is_string()) {
    throw InvalidRequest(std::string("field \"") + name + "\" must be a string");
  }
  std::string text = value.get<std::string>();
  if (text.empty() && !allow_empty) {
    throw InvalidRequest(std::string("field \"") + name + "\" must not be empty");
  }
  if (text.size() > max_length) {
    throw InvalidRequest(std::string("field \"") + name + "\" is longer than " +
                         std::to_string(max_length) + " bytes");
  }
  return text;
}

std::int64_t PositiveAmount(const nlohmann::json& body, const char* name) {
  const nlohmann::json& value = Field(body, name);
  // Minor units are whole numbers; 19.99 sent as a float is the classic bug this catches.
  if (value.is_number_unsigned()) {
    if (value.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      throw InvalidRequest(std::string("field \"") + name + "\" is too large");
    }
  } else if (!value.is_number_integer()) {
    throw InvalidRequest(std::string("field \"") + name + "\" must be an integer (minor units)");
  }
  const auto amount = value.get<std::int64_t>();
  if (amount <= 0) {
    throw InvalidRequest(std::string("field \"") + name + "\" must be greater than 0");
  }
  return amount;
}

void RequireObject(const nlohmann::json& body) {
  if (!body.is_object()) throw InvalidRequest("request body must be a JSON object");
}

}  // namespace

ChargeRequest ParseChargeRequest(const nlohmann::json& body) {
  RequireObject(body);
  ChargeRequest request;
  request.order_id = String(body, "order_id", kMaxIdLength);
  request.amount_minor = PositiveAmount(body, "amount_minor");
  request.currency = String(body, "currency", 3);
  if (request.currency.size() != 3 ||
      !std::all_of(request.currency.begin(), request.currency.end(),
                   [](unsigned char c) { return c >= 'A' && c <= 'Z'; })) {
    throw InvalidRequest("field \"currency\" must be an ISO 4217 code like \"EUR\"");
  }
  request.token = String(body, "token", kMaxIdLength);
  return request;
}

RefundRequest ParseRefundRequest(const nlohmann::json& body) {
  RequireObject(body);
  RefundRequest request;
  request.charge_id = String(body, "charge_id", kMaxIdLength);
  request.amount_minor = PositiveAmount(body, "amount_minor");
  request.reason = String(body, "reason", kMaxIdLength);
  return request;
}

EmailRequest ParseEmailRequest(const nlohmann::json& body) {
  RequireObject(body);
  EmailRequest request;
  request.to = String(body, "to", 320);
  const auto at = request.to.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == request.to.size() ||
      request.to.find('@', at + 1) != std::string::npos ||
      std::any_of(request.to.begin(), request.to.end(),
                  [](unsigned char c) { return std::isspace(c) || std::iscntrl(c); })) {
    throw InvalidRequest("field \"to\" must be an e-mail address");
  }
  request.template_name = String(body, "template", kMaxIdLength);
  request.order_id = String(body, "order_id", kMaxIdLength);
  request.subject = String(body, "subject", kMaxIdLength * 5, /*allow_empty=*/true);
  request.body = String(body, "body", kMaxTextLength, /*allow_empty=*/true);
  return request;
}

nlohmann::json ToJson(const ChargeRequest& request) {
  return {{"order_id", request.order_id},
          {"amount_minor", request.amount_minor},
          {"currency", request.currency},
          {"token", request.token}};
}

nlohmann::json ToJson(const RefundRequest& request) {
  return {{"charge_id", request.charge_id},
          {"amount_minor", request.amount_minor},
          {"reason", request.reason}};
}

nlohmann::json ToJson(const EmailRequest& request) {
  return {{"to", request.to},
          {"template", request.template_name},
          {"order_id", request.order_id},
          {"subject", request.subject},
          {"body", request.body}};
}

nlohmann::json ParseJsonObject(std::string_view text) {
  nlohmann::json body = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) throw InvalidRequest("request body is not valid JSON");
  RequireObject(body);
  return body;
}

void ValidateIdempotencyKey(std::string_view key) {
  if (key.empty()) throw InvalidRequest("header Idempotency-Key is required");
  if (key.size() > kMaxIdempotencyKeyLength) {
    throw InvalidRequest("header Idempotency-Key is longer than " +
                         std::to_string(kMaxIdempotencyKeyLength) + " characters");
  }
  for (unsigned char c : key) {
    if (c < 0x21 || c > 0x7e) {
      throw InvalidRequest("header Idempotency-Key must be printable ASCII without spaces");
    }
  }
}

std::string RequestFingerprint(std::string_view endpoint, const nlohmann::json& canonical_request) {
  Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
  engine.update(endpoint.data(), static_cast<unsigned>(endpoint.size()));
  // A separator no endpoint contains, so ("/a", "b...") and ("/ab", "...") cannot collide.
  engine.update('\n');
  // nlohmann::json objects are std::map-backed: dump() emits keys sorted, i.e. canonical.
  const std::string text = canonical_request.dump();
  engine.update(text.data(), static_cast<unsigned>(text.size()));
  return Poco::DigestEngine::digestToHex(engine.digest());
}

nlohmann::json Problem(int status, std::string_view slug, std::string_view title, std::string_view detail) {
  return http::ToJson(http::Problem{status, http::ProblemType(kProblemTypePrefix, slug), std::string(title),
                                    std::string(detail)});
}

}  // namespace choreo::provider
