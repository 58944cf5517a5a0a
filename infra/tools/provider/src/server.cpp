#include "choreo/provider/server.hpp"

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include "choreo/http/exchange.hpp"
#include "choreo/http/server.hpp"
#include "choreo/log/log.hpp"
#include "choreo/provider/faults.hpp"
#include "choreo/provider/ledger.hpp"
#include "choreo/provider/protocol.hpp"
#include "choreo/secrets/redact.hpp"
#include "choreo/store/store.hpp"

namespace choreo::provider {

namespace {

// What the provider shares across handler threads; every member is thread-safe.
struct ServerState {
  explicit ServerState(const ProviderServerOptions& server_options)
      : options(server_options),
        store(store::StoreOptions{.url = server_options.store_url,
                                  .pool_size = server_options.store_pool_size,
                                  // A ledger transaction has no effect outside the
                                  // database, so repeating it after SQLITE_BUSY or a
                                  // PostgreSQL serialization failure is safe.
                                  .transient_retries = 3}),
        ledger(store, LedgerOptions{.flaky_failures = server_options.flaky_failures}) {}

  ProviderServerOptions options;
  store::Store store;
  Ledger ledger;
  FaultInjector faults;
};

// What a route learns on the way besides its reply.
struct Context {
  std::chrono::milliseconds latency{0};  // injected: waited before the reply is sent
  nlohmann::json fields = nlohmann::json::object();  // the "request handled" log line
};

// A route's reply, or nullopt when the kit already answered (413, 415, ...).
using Route = std::function<std::optional<Reply>(http::Exchange&, Context&)>;

Reply ProblemReply(int status, std::string_view slug, std::string_view title, std::string_view detail) {
  return Reply{status, Problem(status, slug, title, detail)};
}

void Send(http::Exchange& ex, const Reply& reply) {
  if (reply.replayed) ex.SetHeader("Idempotent-Replayed", "true");
  if (reply.status == 503) ex.SetHeader("Retry-After", "1");
  const bool problem = reply.status >= 400 && reply.body.contains("type") && reply.body.contains("title");
  if (!problem) return ex.SendJson(reply.status, reply.body);
  nlohmann::json body = reply.body;
  if (!body.contains("instance")) body["instance"] = ex.Path();
  ex.Send(reply.status, http::kProblemContentType, http::Dump(body));
}

// `logged`: the request is one a worker makes (not a test-only read), worth a log line.
http::Handler Handle(bool logged, Route route) {
  return [logged, route = std::move(route)](http::Exchange& ex) {
    Context context;
    context.fields = {{"method", ex.Method()}, {"path", ex.Path()}};
    std::optional<Reply> reply;
    try {
      reply = route(ex, context);
    } catch (const InvalidRequest& e) {
      reply = ProblemReply(400, "invalid-request", "Bad Request", e.what());
    } catch (const store::TransientStoreError& e) {
      // Rolled back: nothing was applied, so the caller may retry with the same key.
      log::Warn("ledger busy", {{"error", e.what()}});
      reply = ProblemReply(503, "ledger-busy", "Service Unavailable", "the ledger is busy; retry");
    }
    if (!reply || ex.Sent()) return;
    // After the ledger work on purpose: a client whose timeout is shorter than the
    // injected latency gives up although the effect happened, which is exactly the case
    // idempotency keys exist for.
    if (context.latency.count() > 0) std::this_thread::sleep_for(context.latency);
    if (logged) {
      context.fields["status"] = reply->status;
      context.fields["replayed"] = reply->replayed;
      log::Info("request handled", context.fields);
    }
    Send(ex, *reply);
  };
}

// The JSON object a POST carries, or nullopt after the kit refused it. No Content-Type at
// all is taken as JSON: hand-written test requests often omit it.
std::optional<nlohmann::json> JsonBody(http::Exchange& ex) {
  if (!ex.RequireContentType(http::kJsonContentType, /*missing_ok=*/true)) return std::nullopt;
  const std::optional<std::string> text = ex.ReadBody();
  if (!text) return std::nullopt;
  return ParseJsonObject(*text);
}

std::optional<Reply> Mutating(ServerState& state, http::Exchange& ex, Context& context) {
  const std::optional<nlohmann::json> body = JsonBody(ex);
  if (!body) return std::nullopt;
  const std::string key = ex.Request().get("Idempotency-Key", "");
  ValidateIdempotencyKey(key);
  context.fields["idempotency_key"] = key;

  // Parse before deciding faults, so a burst counts well-formed requests only and a
  // chaos test knows exactly which calls will fail.
  std::optional<ChargeRequest> charge;
  std::optional<RefundRequest> refund;
  std::optional<EmailRequest> email;
  if (ex.Route() == "/v1/charges") {
    charge = ParseChargeRequest(*body);
    context.fields["order_id"] = charge->order_id;
  } else if (ex.Route() == "/v1/refunds") {
    refund = ParseRefundRequest(*body);
    context.fields["charge_id"] = refund->charge_id;
  } else {
    email = ParseEmailRequest(*body);
    context.fields["order_id"] = email->order_id;
  }

  // Decided before the ledger is touched: an injected failure has no effect at all.
  const FaultDecision fault = state.faults.Next();
  context.latency = fault.latency;
  if (fault.fail) {
    context.fields["fault"] = "injected_5xx";
    return ProblemReply(503, "injected-fault", "Service Unavailable", "injected fault; retry");
  }
  if (charge && charge->token == kTokenSlow) {
    // Before the ledger: the charge (and its answer) happens only after the delay.
    std::this_thread::sleep_for(state.options.slow);
  }
  if (charge) return state.ledger.Charge(key, *charge);
  if (refund) return state.ledger.Refund(key, *refund);
  return state.ledger.SendEmail(key, *email);
}

// A worker asks after a charge whose outcome it never recorded. Faults apply: a real
// provider fails reads too, and the worker must treat that as "unknown, retry later".
std::optional<Reply> FindCharge(ServerState& state, http::Exchange& ex, Context& context) {
  const std::optional<std::string> key = ex.Query("idempotency_key");
  if (!key) throw InvalidRequest("query parameter idempotency_key is required");
  ValidateIdempotencyKey(*key);
  context.fields["idempotency_key"] = *key;

  const FaultDecision fault = state.faults.Next();
  context.latency = fault.latency;
  if (fault.fail) {
    context.fields["fault"] = "injected_5xx";
    return ProblemReply(503, "injected-fault", "Service Unavailable", "injected fault; retry");
  }
  return state.ledger.FindCharge(*key);
}

http::Router ProviderRoutes(ServerState& state) {
  auto mutating = Handle(true, [&state](http::Exchange& ex, Context& context) { return Mutating(state, ex, context); });
  http::Router router;
  router.Add("GET", "/healthz", [](http::Exchange& ex) { ex.SendJson(200, {{"status", "ok"}}); });
  router.Add("GET", "/v1/ledger", Handle(false, [&state](http::Exchange&, Context&) -> std::optional<Reply> {
               return Reply{200, state.ledger.Snapshot()};
             }));
  router.Add("GET", "/v1/faults", Handle(false, [&state](http::Exchange&, Context&) -> std::optional<Reply> {
               return Reply{200, ToJson(state.faults.Get())};
             }));
  router.Add("POST", "/v1/faults", Handle(false, [&state](http::Exchange& ex, Context&) -> std::optional<Reply> {
               const std::optional<nlohmann::json> body = JsonBody(ex);
               if (!body) return std::nullopt;
               const FaultSettings settings = ParseFaultSettings(*body);
               state.faults.Set(settings);
               log::Warn("faults set", ToJson(settings));
               return Reply{200, ToJson(settings)};
             }));
  router.Add("GET", "/v1/charges",
             Handle(true, [&state](http::Exchange& ex, Context& context) { return FindCharge(state, ex, context); }));
  router.Add("POST", "/v1/charges", mutating);
  router.Add("POST", "/v1/refunds", mutating);
  router.Add("POST", "/v1/emails", mutating);
  return router;
}

http::ServerOptions HttpOptions(const ProviderServerOptions& options) {
  http::ServerOptions server;
  server.name = "provider";
  server.host = options.host;
  server.port = options.port;
  server.max_threads = static_cast<int>(options.max_threads);
  server.max_queued = static_cast<int>(options.max_queued);
  // A handler may sleep through injected latency or a tok_slow charge; stopping cuts it
  // rather than wait, as a crashing provider would.
  server.abort_requests_on_stop = true;
  server.max_body_bytes = options.max_body_bytes;
  server.problem_type_prefix = std::string(kProblemTypePrefix);
  return server;
}

}  // namespace

void ProviderServerOptions::Validate() const {
  if (host.empty()) throw std::invalid_argument("ProviderServerOptions.host must not be empty");
  if (store_url.empty()) throw std::invalid_argument("ProviderServerOptions.store_url must not be empty");
  if (store_pool_size == 0) throw std::invalid_argument("ProviderServerOptions.store_pool_size must be > 0");
  if (max_threads == 0 || max_threads > 1024) {
    throw std::invalid_argument("ProviderServerOptions.max_threads must be from 1 to 1024");
  }
  if (max_queued == 0) throw std::invalid_argument("ProviderServerOptions.max_queued must be > 0");
  if (max_body_bytes == 0) throw std::invalid_argument("ProviderServerOptions.max_body_bytes must be > 0");
  LedgerOptions{.flaky_failures = flaky_failures}.Validate();
}

struct ProviderServer::Impl {
  explicit Impl(ProviderServerOptions server_options)
      : state((server_options.Validate(), server_options)),
        server(HttpOptions(server_options), ProviderRoutes(state)) {
    server.Listen();
    port = server.Port();
  }

  ServerState state;
  http::Server server;  // declared after the state its handlers use: stops before it goes
  std::uint16_t port = 0;
  std::mutex mutex;
  bool started = false;
  bool stopped = false;
};

ProviderServer::ProviderServer(ProviderServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

void ProviderServer::Start() {
  std::lock_guard lock(impl_->mutex);
  if (impl_->started) return;
  if (impl_->stopped) throw std::logic_error("ProviderServer: Start after Stop");
  impl_->server.Start();
  impl_->started = true;
  log::Info("provider listening", {{"url", BaseUrl()}, {"store", secrets::RedactUrl(impl_->state.options.store_url)}});
}

void ProviderServer::Stop() {
  std::lock_guard lock(impl_->mutex);
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->server.Stop();
}

ProviderServer::~ProviderServer() {
  try {
    Stop();
  } catch (...) {
    // Nothing sensible to do in a destructor; the process is going away with it.
  }
}

std::uint16_t ProviderServer::Port() const { return impl_->port; }

std::string ProviderServer::BaseUrl() const {
  return "http://" + impl_->state.options.host + ":" + std::to_string(Port());
}

}  // namespace choreo::provider
