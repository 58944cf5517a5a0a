#include "choreo/gateway/gateway.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/MediaType.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/String.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include "choreo/contracts/events.hpp"
#include "choreo/gateway/idempotency.hpp"
#include "choreo/gateway/intake.hpp"
#include "choreo/gateway/openapi.hpp"
#include "choreo/gateway/problem.hpp"
#include "choreo/gateway/read_model.hpp"
#include "choreo/gateway/routes.hpp"
#include "choreo/gateway/validation.hpp"
#include "choreo/log/log.hpp"
#include "choreo/metrics/metrics.hpp"
#include "choreo/worker/host.hpp"
#include "choreo/worker/pipeline.hpp"

namespace choreo::gateway {

void GatewayOptions::Validate() const {
  auto fail = [](const std::string& what) { throw std::invalid_argument("gateway options: " + what); };
  if (listen_address.empty()) fail("listen_address is empty");
  if (port < 0 || port > 65535) fail("port must be 0..65535");
  if (amqp_url.empty()) fail("amqp_url is empty");
  if (store_url.empty()) fail("store_url is empty");
  if (store_pool_size == 0) fail("store_pool_size must be at least 1");
  if (max_body_bytes == 0) fail("max_body_bytes must be at least 1");
  if (max_threads < 1) fail("max_threads must be at least 1");
  if (max_queued < 1) fail("max_queued must be at least 1");
  if (io_timeout.count() <= 0) fail("io_timeout must be positive");
  if (request_timeout.count() <= 0) fail("request_timeout must be positive");
  if (keep_alive_timeout.count() <= 0) fail("keep_alive_timeout must be positive");
  if (max_keep_alive_requests < 1) fail("max_keep_alive_requests must be at least 1");
  if (idempotency_ttl.count() <= 0) fail("idempotency_ttl must be positive");
  if (group_commit_max_size == 0) fail("group_commit_max_size must be at least 1");
  if (group_commit_window.count() < 0 || group_commit_window > std::chrono::seconds(1)) {
    fail("group_commit_window must be 0..1s");
  }
  for (const auto& key : api_keys) {
    if (key.empty()) fail("api_keys holds an empty key");
    for (char c : key) {
      if (c <= 0x20 || c >= 0x7F) fail("api keys must be printable ASCII without spaces");
    }
  }
}

namespace {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;
using nlohmann::json;

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kProblemJson = "application/problem+json";

// After refusing a body we did not read, keep reading (and discarding) for this long
// before closing: closing a socket with unread data makes the kernel send a reset,
// which can destroy the error response before the client has read it.
constexpr auto kLingerTime = std::chrono::milliseconds(1000);
constexpr std::size_t kLingerBytes = 1 << 20;

// Everything the request handlers share; lives as long as the Gateway.
struct Service {
  GatewayOptions options;
  // Store, migrations, outbox relay (worker runtime); the pipeline feeds the read model.
  std::unique_ptr<worker::ComponentHost> host;
  std::unique_ptr<worker::Pipeline> read_model;
  std::unique_ptr<OrderIntake> intake;
  std::atomic<bool> worker_failed{false};
  // SHA-256 of each configured API key; a caller is identified by its key's hash prefix.
  std::vector<std::string> key_hashes;
  metrics::Registry& registry = metrics::Registry::Default();

  store::Store& Store() { return host->Store(); }
};

// One request/response pair and what we know about its body.
struct Exchange {
  HTTPServerRequest& request;
  HTTPServerResponse& response;
  // The request has a body that has not been read to its end.
  bool body_pending = false;
};

std::string Truncate(std::string_view text, std::size_t max = 200) {
  if (text.size() <= max) return std::string(text);
  return std::string(text.substr(0, max)) + "...";
}

void Linger(Exchange& ex) {
  auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&ex.request);
  if (impl == nullptr) return;
  try {
    Poco::Net::StreamSocket& socket = impl->socket();
    socket.shutdownSend();
    socket.setReceiveTimeout(Poco::Timespan(0, 100'000));
    auto deadline = std::chrono::steady_clock::now() + kLingerTime;
    char buffer[8192];
    std::size_t total = 0;
    while (total < kLingerBytes && std::chrono::steady_clock::now() < deadline) {
      int n = socket.receiveBytes(buffer, sizeof buffer);
      if (n <= 0) break;
      total += static_cast<std::size_t>(n);
    }
  } catch (...) {
    // The client went away or went quiet: either way we are done with it.
  }
}

void Send(Exchange& ex, int status, std::string_view content_type, const std::string& body) {
  // An unread body would be parsed as the next request on a kept-alive connection.
  if (ex.body_pending) ex.response.setKeepAlive(false);
  ex.response.setStatusAndReason(static_cast<HTTPResponse::HTTPStatus>(status));
  ex.response.setContentType(std::string(content_type));
  ex.response.set("Cache-Control", "no-store");
  ex.response.setContentLength64(static_cast<Poco::Int64>(body.size()));
  std::ostream& out = ex.response.send();
  out.write(body.data(), static_cast<std::streamsize>(body.size()));
  // Poco buffers the response until the handler returns; Linger shuts the socket's
  // sending side, so everything must be on the wire first.
  out.flush();
  if (ex.body_pending) Linger(ex);
}

std::string Dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

void SendJson(Exchange& ex, int status, const json& body) { Send(ex, status, kJson, Dump(body)); }

void SendProblem(Exchange& ex, const Problem& problem) { Send(ex, problem.status, kProblemJson, Dump(ToJson(problem))); }

enum class BodyStatus { kComplete, kTooLarge, kTimedOut };

// Reads the body one socket read at a time, so both the size limit and the overall
// deadline are checked however slowly the client sends.
BodyStatus ReadBody(Exchange& ex, std::size_t limit, std::chrono::milliseconds timeout, std::string& out) {
  std::istream& in = ex.request.stream();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[8192];
  while (true) {
    // peek() waits for one read from the socket (or EOF); readsome() then takes only what
    // that read buffered, never blocking again.
    if (in.peek() == std::char_traits<char>::eof()) {
      if (in.bad()) return BodyStatus::kTimedOut;  // read timeout or connection reset
      ex.body_pending = false;
      return BodyStatus::kComplete;
    }
    std::streamsize n;
    while ((n = in.readsome(buffer, sizeof buffer)) > 0) {
      out.append(buffer, static_cast<std::size_t>(n));
      if (out.size() > limit) return BodyStatus::kTooLarge;
    }
    if (std::chrono::steady_clock::now() > deadline) return BodyStatus::kTimedOut;
  }
}

std::string MethodLabel(const std::string& method) {
  static const std::vector<std::string> known{"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"};
  for (const auto& m : known) {
    if (m == method) return m;
  }
  return "other";
}

class RequestHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit RequestHandler(Service& service) : service_(service) {}

  void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
    const auto started = std::chrono::steady_clock::now();
    Exchange ex{request, response};
    ex.body_pending = request.getChunkedTransferEncoding() ||
                      (request.hasContentLength() && request.getContentLength64() > 0) ||
                      (!request.hasContentLength() && request.getMethod() != "GET" &&
                       request.getMethod() != "HEAD" && request.getMethod() != "DELETE");
    std::string route_label = "unmatched";
    try {
      Dispatch(ex, route_label);
    } catch (const std::exception& error) {
      log::Error("request failed", {{"method", request.getMethod()},
                                    {"uri", Truncate(request.getURI())},
                                    {"error", error.what()}});
      SendInternalError(ex);
    } catch (...) {
      log::Error("request failed", {{"method", request.getMethod()}, {"uri", Truncate(request.getURI())}});
      SendInternalError(ex);
    }
    try {
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      service_.registry
          .GetCounter("choreo_gateway_http_requests_total", "HTTP requests answered, by route, method and status.",
                      {{"route", route_label},
                       {"method", MethodLabel(request.getMethod())},
                       {"status", std::to_string(static_cast<int>(response.getStatus()))}})
          .Inc();
      service_.registry
          .GetHistogram("choreo_gateway_http_request_duration_seconds",
                        "Time from the start of handling to the response, by route.",
                        metrics::DefaultLatencyBuckets(), {{"route", route_label}})
          .Observe(seconds);
    } catch (...) {
      // Metrics must never turn an answered request into a failure.
    }
  }

 private:
  void SendInternalError(Exchange& ex) {
    if (ex.response.sent()) return;
    try {
      SendProblem(ex, {500, "internal-error", "Internal Server Error",
                       "The gateway failed to handle the request; it has been logged. Retry later.", json::object()});
    } catch (...) {
    }
  }

  void Dispatch(Exchange& ex, std::string& route_label) {
    std::string path;
    try {
      path = Poco::URI(ex.request.getURI()).getPath();
    } catch (const Poco::Exception&) {
      SendProblem(ex, {400, "bad-uri", "Bad Request", "The request URI is not a valid URI.", json::object()});
      return;
    }
    auto match = MatchRoute(path);
    if (!match) {
      SendProblem(ex, {404, "", "Not Found",
                       "No resource at '" + Truncate(path) + "'. The API is described at /openapi.yaml.",
                       json::object()});
      return;
    }
    const RouteSpec& route = *match->route;
    route_label = std::string(route.path_template);
    const Operation* operation = FindOperation(route, ex.request.getMethod());
    if (operation == nullptr) {
      ex.response.set("Allow", AllowHeader(route));
      SendProblem(ex, {405, "", "Method Not Allowed",
                       Truncate(ex.request.getMethod(), 20) + " is not supported on " +
                           std::string(route.path_template) + "; use " + AllowHeader(route) + ".",
                       json::object()});
      return;
    }
    std::string principal = "anonymous";
    if (operation->authenticated && !service_.key_hashes.empty()) {
      auto caller = Authenticate(ex);
      if (!caller) return;
      principal = *caller;
    }
    switch (route.id) {
      case RouteId::kOrders: return PostOrder(ex, principal);
      case RouteId::kOrder: return GetOrder(ex, match->id);
      case RouteId::kHealthz: return SendJson(ex, 200, {{"status", "ok"}});
      case RouteId::kReadyz: return Readyz(ex);
      case RouteId::kMetrics: return Metrics(ex);
      case RouteId::kOpenApi: return Send(ex, 200, "application/yaml", std::string(OpenApiDocument()));
    }
  }

  // The caller's principal (a prefix of its key's hash, never the key), or nullopt after
  // answering 401.
  std::optional<std::string> Authenticate(Exchange& ex) {
    const std::string& header = ex.request.get("Authorization", "");
    constexpr std::string_view kBearer = "bearer ";
    std::string detail = "Send 'Authorization: Bearer <api key>'.";
    if (header.size() > kBearer.size() && Poco::icompare(header.substr(0, kBearer.size()), std::string(kBearer)) == 0) {
      const std::string presented = Sha256Hex(std::string_view(header).substr(kBearer.size()));
      // Compare against every key, byte by byte without early exit, so timing does not
      // tell how close a guess was.
      const std::string* found = nullptr;
      for (const auto& hash : service_.key_hashes) {
        unsigned diff = hash.size() ^ presented.size();
        for (std::size_t i = 0; i < hash.size() && i < presented.size(); ++i) {
          diff |= static_cast<unsigned>(hash[i] ^ presented[i]);
        }
        if (diff == 0) found = &hash;
      }
      if (found != nullptr) return found->substr(0, 16);
      detail = "The API key is not valid.";
    }
    ex.response.set("WWW-Authenticate", "Bearer realm=\"choreo\"");
    SendProblem(ex, {401, "unauthorized", "Unauthorized", detail, json::object()});
    return std::nullopt;
  }

  void PostOrder(Exchange& ex, const std::string& principal) {
    HTTPServerRequest& request = ex.request;
    const std::string content_type = request.getContentType();
    bool json_type = false;
    if (!content_type.empty()) {
      try {
        Poco::Net::MediaType media(content_type);
        json_type = media.matches("application", "json") &&
                    (!media.hasParameter("charset") || Poco::icompare(media.getParameter("charset"), "utf-8") == 0);
      } catch (const Poco::Exception&) {
        json_type = false;
      }
    }
    if (!json_type) {
      SendProblem(ex, {415, "unsupported-media-type", "Unsupported Media Type",
                       "Send the order as 'Content-Type: application/json' (UTF-8)" +
                           (content_type.empty() ? std::string(".") : ", not '" + Truncate(content_type, 60) + "'."),
                       json::object()});
      return;
    }
    const std::size_t limit = service_.options.max_body_bytes;
    if (request.hasContentLength() && request.getContentLength64() > static_cast<Poco::Int64>(limit)) {
      SendTooLarge(ex);
      return;
    }
    if (!request.hasContentLength() && !request.getChunkedTransferEncoding()) {
      SendProblem(ex, {411, "length-required", "Length Required",
                       "Send a Content-Length header (or a chunked body).", json::object()});
      return;
    }
    std::optional<std::string> key;
    if (request.has("Idempotency-Key")) {
      const std::string& raw = request.get("Idempotency-Key");
      if (!IsValidIdempotencyKey(raw)) {
        SendProblem(ex, {400, "invalid-idempotency-key", "Invalid Idempotency-Key",
                         "The Idempotency-Key header must be 1 to " + std::to_string(kMaxIdempotencyKeyLength) +
                             " printable ASCII characters.",
                         json::object()});
        return;
      }
      key = principal + ":" + raw;
    }

    std::string body;
    switch (ReadBody(ex, limit, service_.options.request_timeout, body)) {
      case BodyStatus::kTooLarge: return SendTooLarge(ex);
      case BodyStatus::kTimedOut:
        return SendProblem(ex, {408, "request-timeout", "Request Timeout",
                                "The request body did not arrive in time.", json::object()});
      case BodyStatus::kComplete: break;
    }

    json parsed;
    try {
      parsed = ParseJsonBody(body);
    } catch (const std::invalid_argument& error) {
      SendProblem(ex, {400, "malformed-json", "Malformed JSON", error.what(), json::object()});
      return;
    }
    ValidationResult validation = ValidateOrderRequest(parsed);
    if (!validation.Ok()) {
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
      SendProblem(ex, {400, "validation-error", "Invalid order", detail, {{"errors", std::move(errors)}}});
      return;
    }

    std::string canonical_body = parsed.dump();
    std::string request_hash = CanonicalRequestHash(canonical_body);
    IntakeRequest intake_request{std::move(*validation.order), std::move(canonical_body), std::move(request_hash),
                                 key};
    IntakeResult result;
    try {
      result = service_.intake->Submit(intake_request);
    } catch (const store::StoreError& error) {
      log::Error("order intake failed", {{"error", error.what()}});
      ex.response.set("Retry-After", "1");
      SendProblem(ex, {503, "store-unavailable", "Service Unavailable",
                       "The order could not be stored; nothing was accepted. Retry (with the same Idempotency-Key).",
                       json::object()});
      return;
    }
    switch (result.outcome) {
      case IntakeOutcome::kAccepted:
      case IntakeOutcome::kReplayed: {
        const bool replay = result.outcome == IntakeOutcome::kReplayed;
        ex.response.set("Location", "/orders/" + result.order_id);
        if (replay) ex.response.set("Idempotent-Replayed", "true");
        service_.registry
            .GetCounter(replay ? "choreo_gateway_idempotent_replays_total" : "choreo_gateway_orders_accepted_total",
                        replay ? "POST /orders answered with a stored response (same Idempotency-Key and body)."
                               : "Orders accepted (order.placed appended to the outbox).")
            .Inc();
        // Debug, not info: a line per order was 4% of the gateway's CPU under load, and the
        // counter above already shows the rate; the order's life is logged by the workers.
        log::Debug(replay ? "order replayed" : "order accepted", {{"correlation_id", result.order_id}});
        Send(ex, result.status, kJson, result.response_body);
        return;
      }
      case IntakeOutcome::kKeyReused:
        SendProblem(ex, {422, "idempotency-key-reused", "Idempotency-Key reused",
                         "This Idempotency-Key was already used with a different request body. Use a new key for "
                         "a new order, or resend the original body to get its response.",
                         json::object()});
        return;
      case IntakeOutcome::kInFlight:
        ex.response.set("Retry-After", "1");
        SendProblem(ex, {409, "idempotency-key-in-flight", "Request in progress",
                         "A request with this Idempotency-Key is still being processed. Retry shortly to get its "
                         "response.",
                         json::object()});
        return;
    }
  }

  void SendTooLarge(Exchange& ex) {
    SendProblem(ex, {413, "body-too-large", "Content Too Large",
                     "The request body exceeds the limit of " + std::to_string(service_.options.max_body_bytes) +
                         " bytes.",
                     {{"max_bytes", service_.options.max_body_bytes}}});
  }

  void GetOrder(Exchange& ex, const std::string& id) {
    std::optional<OrderView> view;
    if (IsPlausibleOrderId(id)) {
      try {
        view = service_.Store().InTransaction([&](store::Tx& tx) { return LoadOrder(tx, id); });
      } catch (const store::StoreError& error) {
        log::Error("order look-up failed", {{"correlation_id", id}, {"error", error.what()}});
        ex.response.set("Retry-After", "1");
        SendProblem(ex, {503, "store-unavailable", "Service Unavailable",
                         "The order could not be read right now. Retry.", json::object()});
        return;
      }
    }
    if (!view) {
      SendProblem(ex, {404, "order-not-found", "Order not found",
                       "No order with id '" + Truncate(id, 128) + "'. Use the order_id (or Location) from the POST "
                       "/orders response.",
                       json::object()});
      return;
    }
    SendJson(ex, 200, ToJson(*view));
  }

  void Readyz(Exchange& ex) {
    json checks = json::object();
    std::vector<std::string> down;
    try {
      service_.Store().InTransaction([](store::Tx& tx) {
        int one = 0;
        tx.Run("SELECT 1", Poco::Data::Keywords::into(one));
      });
      checks["store"] = "up";
    } catch (const std::exception& error) {
      checks["store"] = "down";
      down.push_back("store (" + Truncate(error.what(), 120) + ")");
    }
    if (service_.worker_failed.load()) {
      checks["worker"] = "down";
      down.push_back("worker (failed at start-up, see the log)");
    } else {
      checks["worker"] = "up";
    }
    if (service_.read_model->BrokerConnected()) {
      checks["broker"] = "up";
    } else {
      checks["broker"] = "down";
      down.push_back("broker (orders are still accepted and held in the outbox)");
    }
    if (down.empty()) {
      SendJson(ex, 200, {{"status", "ready"}, {"checks", checks}});
      return;
    }
    std::string detail = "Not ready: ";
    for (std::size_t i = 0; i < down.size(); ++i) detail += (i ? ", " : "") + down[i];
    SendProblem(ex, {503, "not-ready", "Service Unavailable", detail, {{"checks", checks}}});
  }

  void Metrics(Exchange& ex) {
    auto& registry = service_.registry;
    try {
      outbox::OutboxStatus status = service_.host->Backlog();
      registry.GetGauge("choreo_gateway_outbox_pending", "Outbox rows not yet published (order.placed backlog).")
          .Set(static_cast<double>(status.pending));
      registry.GetGauge("choreo_gateway_outbox_failing", "Outbox rows whose last publish attempt failed.")
          .Set(static_cast<double>(status.failing));
      registry
          .GetGauge("choreo_gateway_outbox_oldest_pending_age_seconds", "Age of the oldest unpublished outbox row.")
          .Set(status.oldest_pending_age ? static_cast<double>(status.oldest_pending_age->count()) / 1000.0 : 0.0);
    } catch (const std::exception& error) {
      log::Warn("outbox status for metrics failed", {{"error", error.what()}});
    }
    registry.GetGauge("choreo_gateway_broker_connected", "1 while the gateway has a working broker connection.")
        .Set(service_.read_model->BrokerConnected() ? 1.0 : 0.0);
    Send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", registry.Render());
  }

  Service& service_;
};

class HandlerFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit HandlerFactory(Service& service) : service_(service) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
    return new RequestHandler(service_);
  }

 private:
  Service& service_;
};

}  // namespace

struct Gateway::Impl {
  Service service;
  std::thread worker_thread;
  std::thread purge_thread;
  std::mutex purge_mutex;
  std::condition_variable purge_cv;
  bool stopping = false;
  std::unique_ptr<Poco::ThreadPool> pool;
  std::unique_ptr<Poco::Net::HTTPServer> server;
  std::uint16_t port = 0;
  bool started = false;
  std::mutex lifecycle_mutex;
};

Gateway::Gateway(GatewayOptions options) : impl_(std::make_unique<Impl>()) {
  options.Validate();
  Service& service = impl_->service;
  service.options = std::move(options);
  for (const auto& key : service.options.api_keys) service.key_hashes.push_back(Sha256Hex(key));

  service.host = std::make_unique<worker::ComponentHost>(
      worker::HostOptions{.name = std::string(contracts::components::kGateway),
                          .amqp_url = service.options.amqp_url,
                          .store_url = service.options.store_url,
                          .store_pool_size = service.options.store_pool_size,
                          .http_port = -1});  // /healthz, /readyz, /metrics are the gateway's own
  // Orders must be taken before the broker was ever reached (and while it is unreachable),
  // so the schema is brought up to date here.
  service.host->Migrate(Migrations());
  service.read_model = std::make_unique<worker::Pipeline>(
      *service.host, worker::PipelineOptions{.name = std::string(contracts::components::kGateway)});
  FeedFrom(*service.read_model);

  worker::ComponentHost* host = service.host.get();
  service.intake = std::make_unique<OrderIntake>(
      service.Store(), [host] { host->NotifyOutbox(); },
      GroupCommitOptions{service.options.group_commit_max_size, service.options.group_commit_window});
  if (service.options.before_write_hook) service.intake->SetBeforeWriteHook(service.options.before_write_hook);
}

Gateway::~Gateway() {
  try {
    Stop();
  } catch (...) {
    // A destructor must not throw; Stop already logged what it could.
  }
}

void Gateway::Start() {
  std::lock_guard lifecycle(impl_->lifecycle_mutex);
  if (impl_->started) return;
  Service& service = impl_->service;
  const GatewayOptions& options = service.options;

  Poco::Net::ServerSocket socket;
  try {
    socket.bind(Poco::Net::SocketAddress(options.listen_address, static_cast<Poco::UInt16>(options.port)), true);
    socket.listen(options.max_queued);
  } catch (const Poco::Exception& error) {
    throw std::runtime_error("gateway: cannot listen on " + options.listen_address + ":" +
                             std::to_string(options.port) + ": " + error.displayText());
  }
  impl_->port = socket.address().port();

  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(options.max_threads);
  params->setMaxQueued(options.max_queued);
  params->setTimeout(Poco::Timespan(std::chrono::duration_cast<std::chrono::microseconds>(options.io_timeout).count()));
  params->setKeepAlive(true);
  params->setKeepAliveTimeout(
      Poco::Timespan(std::chrono::duration_cast<std::chrono::microseconds>(options.keep_alive_timeout).count()));
  params->setMaxKeepAliveRequests(options.max_keep_alive_requests);
  params->setSoftwareVersion("choreo-gateway");
  impl_->pool = std::make_unique<Poco::ThreadPool>(std::min(2, options.max_threads), options.max_threads);
  impl_->server = std::make_unique<Poco::Net::HTTPServer>(new HandlerFactory(service), *impl_->pool, socket, params);

  impl_->stopping = false;
  service.host->Start();
  impl_->worker_thread = std::thread([&service] {
    try {
      service.read_model->Run();
    } catch (const std::exception& error) {
      service.worker_failed = true;
      log::Error("gateway worker stopped", {{"error", error.what()}});
    } catch (...) {
      service.worker_failed = true;
      log::Error("gateway worker stopped");
    }
  });
  impl_->purge_thread = std::thread([this] {
    std::unique_lock lock(impl_->purge_mutex);
    while (!impl_->stopping) {
      lock.unlock();
      try {
        impl_->service.intake->PurgeIdempotency(impl_->service.options.idempotency_ttl);
      } catch (const std::exception& error) {
        log::Warn("idempotency purge failed", {{"error", error.what()}});
      }
      lock.lock();
      impl_->purge_cv.wait_for(lock, std::chrono::minutes(1), [this] { return impl_->stopping; });
    }
  });
  impl_->server->start();
  impl_->started = true;
  log::Info("gateway listening", {{"address", options.listen_address}, {"port", impl_->port},
                                  {"auth", options.api_keys.empty() ? "off" : "api-key"}});
}

void Gateway::Stop() {
  std::lock_guard lifecycle(impl_->lifecycle_mutex);
  if (!impl_->started) return;
  try {
    impl_->server->stopAll(false);
    impl_->pool->joinAll();
  } catch (const std::exception& error) {
    log::Warn("stopping the HTTP server", {{"error", error.what()}});
  }
  impl_->service.read_model->Stop();
  if (impl_->worker_thread.joinable()) impl_->worker_thread.join();
  impl_->service.host->Stop();
  {
    std::lock_guard lock(impl_->purge_mutex);
    impl_->stopping = true;
  }
  impl_->purge_cv.notify_all();
  if (impl_->purge_thread.joinable()) impl_->purge_thread.join();
  impl_->server.reset();
  impl_->pool.reset();
  impl_->started = false;
}

std::uint16_t Gateway::Port() const { return impl_->port; }

bool Gateway::WaitUntilConsuming(std::chrono::milliseconds timeout) {
  return impl_->service.read_model->WaitUntilReady(timeout);
}

bool Gateway::WorkerHealthy() const { return !impl_->service.worker_failed.load(); }

store::Store& Gateway::Store() { return impl_->service.Store(); }

worker::ComponentHost& Gateway::Host() { return *impl_->service.host; }

const GatewayOptions& Gateway::Options() const { return impl_->service.options; }

}  // namespace choreo::gateway
