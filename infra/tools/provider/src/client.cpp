#include "choreo/provider/client.hpp"

#include <istream>
#include <sstream>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <nlohmann/json.hpp>

namespace choreo::provider {

namespace {

struct Response {
  int status = 0;
  nlohmann::json body;
  bool replayed = false;
};

// A response too large for anything this provider sends is not read into memory.
constexpr std::streamsize kMaxResponseBytes = 1 << 20;

void RequireKey(std::string_view idempotency_key) {
  if (idempotency_key.empty()) {
    throw std::invalid_argument("choreo::provider: the idempotency key must not be empty");
  }
}

std::string ProblemDetail(const Response& response) {
  if (response.body.is_object()) {
    if (auto it = response.body.find("detail"); it != response.body.end() && it->is_string()) {
      return it->get<std::string>();
    }
    if (auto it = response.body.find("title"); it != response.body.end() && it->is_string()) {
      return it->get<std::string>();
    }
  }
  return "no detail";
}

RejectReason RejectReasonOf(int status) {
  switch (status) {
    case 400:
    case 413:
    case 415: return RejectReason::kInvalidRequest;
    case 404: return RejectReason::kNotFound;
    case 409: return RejectReason::kConflict;
    case 422: return RejectReason::kIdempotencyKeyReused;
    default: return RejectReason::kOther;
  }
}

// Everything that is neither a success nor a decline. 408 and 429 say "not now", so they
// are as transient as a 5xx; every other 4xx would be answered the same way again.
[[noreturn]] void ThrowFailure(std::string_view operation, const Response& response) {
  const std::string message = "provider " + std::string(operation) + ": HTTP " +
                              std::to_string(response.status) + ": " + ProblemDetail(response);
  if (response.status >= 500 || response.status == 408 || response.status == 429 || response.status < 400) {
    throw ProviderUnavailable(message, response.status);
  }
  throw ProviderRejected(message, RejectReasonOf(response.status), response.status);
}

// A success we cannot read leaves the outcome unknown: transient, so the caller repeats
// the call with the same key and gets the stored answer.
std::string RequireString(std::string_view operation, const Response& response, const char* field) {
  if (response.body.is_object()) {
    if (auto it = response.body.find(field); it != response.body.end() && it->is_string()) {
      return it->get<std::string>();
    }
  }
  throw ProviderUnavailable("provider " + std::string(operation) + ": HTTP " + std::to_string(response.status) +
                                " response without \"" + field + "\"",
                            response.status);
}

// One request on its own connection. `idempotency_key` is sent as the header when not
// empty; `body` only when it is not null.
Response Send(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout,
              const std::string& method, const std::string& path, std::string_view idempotency_key,
              const nlohmann::json& body) {
  const std::string text = body.is_null() ? std::string() : body.dump();
  Response result;
  std::string response_text;
  std::ostringstream out;
  try {
    Poco::Net::HTTPClientSession session(host, port);
    const Poco::Timespan span(static_cast<Poco::Timespan::TimeDiff>(timeout.count()) * 1000);
    session.setTimeout(span, span, span);
    session.setKeepAlive(false);
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    request.set("Accept", "application/json, application/problem+json");
    if (!idempotency_key.empty()) request.set("Idempotency-Key", std::string(idempotency_key));
    if (!body.is_null()) {
      request.setContentType("application/json");
      request.setContentLength64(static_cast<Poco::Int64>(text.size()));
    }
    session.sendRequest(request) << text;
    Poco::Net::HTTPResponse response;
    Poco::StreamCopier::copyStream(session.receiveResponse(response), out);
    result.status = static_cast<int>(response.getStatus());
    result.replayed = response.get("Idempotent-Replayed", "") == "true";
    response_text = out.str();
    if (static_cast<std::streamsize>(response_text.size()) > kMaxResponseBytes) response_text.clear();
  } catch (const Poco::Exception& e) {
    throw ProviderUnavailable("provider " + method + " " + path + ": " + e.displayText());
  } catch (const std::ios_base::failure& e) {
    throw ProviderUnavailable("provider " + method + " " + path + ": " + e.what());
  }
  result.body = nlohmann::json::parse(response_text, nullptr, /*allow_exceptions=*/false);
  if (result.body.is_discarded()) result.body = nlohmann::json();
  return result;
}

Response Post(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout,
              const std::string& path, std::string_view idempotency_key, const nlohmann::json& body) {
  return Send(host, port, timeout, Poco::Net::HTTPRequest::HTTP_POST, path, idempotency_key, body);
}

}  // namespace

void ProviderClientOptions::Validate() const {
  Poco::URI uri;
  try {
    uri = Poco::URI(base_url);
  } catch (const Poco::Exception& e) {
    throw std::invalid_argument("ProviderClientOptions.base_url is not a URL: " + e.displayText());
  }
  if (uri.getScheme() != "http" || uri.getHost().empty()) {
    throw std::invalid_argument("ProviderClientOptions.base_url must look like http://host:port, got \"" +
                                base_url + "\"");
  }
  if (!uri.getPath().empty() && uri.getPath() != "/") {
    throw std::invalid_argument("ProviderClientOptions.base_url must not have a path, got \"" + base_url + "\"");
  }
  if (timeout.count() <= 0) throw std::invalid_argument("ProviderClientOptions.timeout must be > 0");
}

ProviderClient::ProviderClient(ProviderClientOptions options) : options_(std::move(options)) {
  options_.Validate();
  const Poco::URI uri(options_.base_url);
  host_ = uri.getHost();
  port_ = uri.getPort();
}

ChargeResult ProviderClient::Charge(std::string_view idempotency_key, std::string_view order_id,
                                    std::int64_t amount_minor, std::string_view currency, std::string_view token) {
  RequireKey(idempotency_key);
  const Response response = Post(host_, port_, options_.timeout, "/v1/charges", idempotency_key,
                                 {{"order_id", order_id},
                                  {"amount_minor", amount_minor},
                                  {"currency", currency},
                                  {"token", token}});
  ChargeResult result;
  result.replayed = response.replayed;
  // The key's charge was made with exactly these arguments (else 422).
  result.amount_minor = amount_minor;
  result.currency = std::string(currency);
  if (response.status == 201 || response.status == 200) {
    result.status = ChargeStatus::kCaptured;
    result.charge_id = RequireString("charge", response, "charge_id");
    return result;
  }
  if (response.status == 402 && response.body.is_object() && response.body.value("status", "") == "declined") {
    result.status = ChargeStatus::kDeclined;
    result.charge_id = response.body.value("charge_id", "");
    result.decline_reason = RequireString("charge", response, "reason");
    return result;
  }
  ThrowFailure("charge", response);
}

std::optional<ChargeResult> ProviderClient::FindCharge(std::string_view idempotency_key) {
  RequireKey(idempotency_key);
  std::string query;
  Poco::URI::encode(std::string(idempotency_key), "&=+?#/:", query);
  const Response response = Send(host_, port_, options_.timeout, Poco::Net::HTTPRequest::HTTP_GET,
                                 "/v1/charges?idempotency_key=" + query, {}, nlohmann::json());
  // Only the provider's own "no such charge" means nothing was charged; any other 404
  // (a wrong route, a proxy) must not be taken for that.
  if (response.status == 404 && response.body.is_object() &&
      response.body.value("type", "") == "urn:choreo:provider:charge-not-found") {
    return std::nullopt;
  }
  if (response.status != 200) ThrowFailure("charge look-up", response);
  ChargeResult result;
  const std::string status = RequireString("charge look-up", response, "status");
  if (status == "captured") {
    result.status = ChargeStatus::kCaptured;
  } else if (status == "declined") {
    result.status = ChargeStatus::kDeclined;
    result.decline_reason = response.body.value("reason", "");
  } else {
    throw ProviderUnavailable("provider charge look-up: unknown charge status \"" + status + "\"", response.status);
  }
  result.charge_id = RequireString("charge look-up", response, "charge_id");
  result.currency = RequireString("charge look-up", response, "currency");
  const auto amount = response.body.find("amount_minor");
  if (amount == response.body.end() || !amount->is_number_integer()) {
    throw ProviderUnavailable("provider charge look-up: response without an integer \"amount_minor\"", response.status);
  }
  result.amount_minor = amount->get<std::int64_t>();
  return result;
}

RefundResult ProviderClient::Refund(std::string_view idempotency_key, std::string_view charge_id,
                                    std::int64_t amount_minor, std::string_view reason) {
  RequireKey(idempotency_key);
  const Response response = Post(host_, port_, options_.timeout, "/v1/refunds", idempotency_key,
                                 {{"charge_id", charge_id}, {"amount_minor", amount_minor}, {"reason", reason}});
  if (response.status == 201 || response.status == 200) {
    return RefundResult{.refund_id = RequireString("refund", response, "refund_id"), .replayed = response.replayed};
  }
  ThrowFailure("refund", response);
}

EmailResult ProviderClient::SendEmail(std::string_view idempotency_key, std::string_view to,
                                      std::string_view template_name, std::string_view order_id,
                                      std::string_view subject, std::string_view body) {
  RequireKey(idempotency_key);
  const Response response = Post(host_, port_, options_.timeout, "/v1/emails", idempotency_key,
                                 {{"to", to},
                                  {"template", template_name},
                                  {"order_id", order_id},
                                  {"subject", subject},
                                  {"body", body}});
  if (response.status == 202 || response.status == 201 || response.status == 200) {
    return EmailResult{.email_id = RequireString("email", response, "email_id"), .replayed = response.replayed};
  }
  ThrowFailure("email", response);
}

}  // namespace choreo::provider
