// POST /orders and GET /orders/{id} (docs/gateway.md): validation, idempotency and the
// intake on the way in, the read model on the way out.
#include "choreo/contracts/trace.hpp"
#include "choreo/gateway/idempotency.hpp"
#include "choreo/gateway/read_model.hpp"
#include "choreo/gateway/routes.hpp"
#include "choreo/gateway/validation.hpp"
#include "choreo/log/log.hpp"
#include "service.hpp"

namespace choreo::gateway {

namespace {

using nlohmann::json;

void SendValidationErrors(http::Exchange& ex, const ValidationResult& validation) {
  json errors = json::array();
  for (const auto& error : validation.errors) {
    errors.push_back({{"pointer", error.pointer}, {"message", error.message}});
  }
  const FieldError& first = validation.errors.front();
  std::string detail = (first.pointer.empty() ? std::string() : "'" + first.pointer + "' ") + first.message;
  if (validation.errors.size() > 1) {
    detail += " (and " + std::to_string(validation.errors.size() - 1) + " more problem" +
              (validation.errors.size() > 2 ? "s" : "") + ", see errors)";
  }
  ex.SendProblem(400, "validation-error", "Invalid order", detail, {{"errors", std::move(errors)}});
}

// Load shedding (AdmissionControl): false after answering 429 or 503. A refused order
// writes nothing, so the client may send it again unchanged.
bool Admit(Service& service, http::Exchange& ex, const std::string& principal) {
  const AdmissionVerdict verdict = service.admission->Admit(principal);
  if (verdict.Admitted()) return true;
  service.registry
      .GetCounter("choreo_gateway_orders_shed_total",
                  "POST /orders refused by load shedding (nothing stored), by reason: rate_limited (429), "
                  "in_flight, intake_backlog, intake_age (503).",
                  {{"reason", RefusalName(*verdict.refusal)}})
      .Inc();
  ex.SetHeader("Retry-After", std::to_string(verdict.retry_after.count()));
  if (*verdict.refusal == Refusal::kRateLimited) {
    ex.SendProblem(429, "rate-limited", "Too Many Requests", verdict.detail);
  } else {
    ex.SendProblem(503, "overloaded", "Service Unavailable", verdict.detail, {{"reason", RefusalName(*verdict.refusal)}});
  }
  return false;
}

void SendIntakeResult(Service& service, http::Exchange& ex, const IntakeResult& result) {
  switch (result.outcome) {
    case IntakeOutcome::kAccepted:
    case IntakeOutcome::kReplayed: {
      const bool replay = result.outcome == IntakeOutcome::kReplayed;
      if (!replay) service.admission->Accepted();
      ex.SetHeader("Location", "/orders/" + result.order_id);
      if (replay) ex.SetHeader("Idempotent-Replayed", "true");
      service.registry
          .GetCounter(replay ? "choreo_gateway_idempotent_replays_total" : "choreo_gateway_orders_accepted_total",
                      replay ? "POST /orders answered with a stored response (same Idempotency-Key and body)."
                             : "Orders accepted (order.placed appended to the outbox).")
          .Inc();
      // Debug, not info: a line per order was 4% of the gateway's CPU under load, and the
      // counter above already shows the rate; the order's life is logged by the workers.
      log::Debug(replay ? "order replayed" : "order accepted", {{"correlation_id", result.order_id}});
      ex.Send(result.status, http::kJsonContentType, result.response_body);
      return;
    }
    case IntakeOutcome::kKeyReused:
      ex.SendProblem(422, "idempotency-key-reused", "Idempotency-Key reused",
                     "This Idempotency-Key was already used with a different request body. Use a new key for "
                     "a new order, or resend the original body to get its response.");
      return;
    case IntakeOutcome::kInFlight:
      ex.SetHeader("Retry-After", "1");
      ex.SendProblem(409, "idempotency-key-in-flight", "Request in progress",
                     "A request with this Idempotency-Key is still being processed. Retry shortly to get its "
                     "response.");
      return;
  }
}

// The request's span: a child of the client's traceparent when it sent a valid one, else
// the root of a new trace. Returned to the client on every answer, and the span
// order.placed is sent as, so the client can find its order's trace.
contracts::TraceContext RequestSpan(http::Exchange& ex) {
  std::optional<contracts::TraceContext> parent;
  if (ex.Request().has(std::string(contracts::kTraceparentHeader))) {
    parent = contracts::ParseTraceparent(ex.Request().get(std::string(contracts::kTraceparentHeader)));
  }
  contracts::TraceContext span = contracts::ChildOf(parent);
  ex.SetHeader(std::string(contracts::kTraceparentHeader), contracts::FormatTraceparent(span));
  return span;
}

}  // namespace

void PostOrder(Service& service, http::Exchange& ex, const std::string& principal) {
  const contracts::TraceContext span = RequestSpan(ex);
  const log::ScopedFields scope(json{{"trace_id", span.trace_id}, {"span_id", span.span_id}});
  if (!ex.RequireContentType(http::kJsonContentType)) return;
  std::optional<std::string> key;
  if (ex.Request().has("Idempotency-Key")) {
    const std::string& raw = ex.Request().get("Idempotency-Key");
    if (!IsValidIdempotencyKey(raw)) {
      ex.SendProblem(400, "invalid-idempotency-key", "Invalid Idempotency-Key",
                     "The Idempotency-Key header must be 1 to " + std::to_string(kMaxIdempotencyKeyLength) +
                         " printable ASCII characters.");
      return;
    }
    key = principal + ":" + raw;
  }
  const std::optional<std::string> body = ex.ReadBody();
  if (!body) return;

  json parsed;
  try {
    parsed = ParseJsonBody(*body);
  } catch (const std::invalid_argument& error) {
    ex.SendProblem(400, "malformed-json", "Malformed JSON", error.what());
    return;
  }
  ValidationResult validation = ValidateOrderRequest(parsed);
  if (!validation.Ok()) return SendValidationErrors(ex, validation);
  if (!Admit(service, ex, principal)) return;

  std::string canonical_body = parsed.dump();
  std::string request_hash = CanonicalRequestHash(canonical_body);
  IntakeRequest intake_request{std::move(*validation.order), std::move(canonical_body), std::move(request_hash), key,
                               contracts::FormatTraceparent(span)};
  IntakeResult result;
  try {
    result = service.intake->Submit(intake_request);
  } catch (const store::StoreError& error) {
    log::Error("order intake failed", {{"error", error.what()}});
    ex.SetHeader("Retry-After", "1");
    ex.SendProblem(503, "store-unavailable", "Service Unavailable",
                   "The order could not be stored; nothing was accepted. Retry (with the same Idempotency-Key).");
    return;
  }
  SendIntakeResult(service, ex, result);
}

void GetOrder(Service& service, http::Exchange& ex) {
  const std::string& id = ex.Param("id");
  std::optional<OrderView> view;
  if (IsPlausibleOrderId(id)) {
    try {
      view = service.Store().InTransaction([&](store::Tx& tx) { return LoadOrder(tx, id); });
    } catch (const store::StoreError& error) {
      log::Error("order look-up failed", {{"correlation_id", id}, {"error", error.what()}});
      ex.SetHeader("Retry-After", "1");
      ex.SendProblem(503, "store-unavailable", "Service Unavailable", "The order could not be read right now. Retry.");
      return;
    }
  }
  if (!view) {
    ex.SendProblem(404, "order-not-found", "Order not found",
                   "No order with id '" + http::Truncate(id, 128) +
                       "'. Use the order_id (or Location) from the POST /orders response.");
    return;
  }
  ex.SendJson(200, ToJson(*view));
}

}  // namespace choreo::gateway
