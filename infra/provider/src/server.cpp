#include "choreo/provider/server.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <istream>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include "choreo/log/log.hpp"
#include "choreo/provider/faults.hpp"
#include "choreo/provider/ledger.hpp"
#include "choreo/provider/protocol.hpp"
#include "choreo/secrets/redact.hpp"
#include "choreo/store/store.hpp"

namespace choreo::provider {

namespace {

using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

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

struct HttpReply {
  Reply reply;
  std::string allow;   // for 405
  bool close = false;  // the request body was not read: the connection cannot be reused
};

HttpReply ProblemReply(int status, std::string_view slug, std::string_view title, std::string_view detail) {
  return {Reply{status, Problem(status, slug, title, detail)}};
}

HttpReply MethodNotAllowed(std::string allow) {
  HttpReply reply = ProblemReply(405, "method-not-allowed", "Method Not Allowed", "allowed: " + allow);
  reply.allow = std::move(allow);
  return reply;
}

bool IsJsonContentType(const HTTPServerRequest& request) {
  // No Content-Type at all is taken as JSON: hand-written test requests often omit it.
  if (!request.has("Content-Type")) return true;
  std::string type = request.getContentType();
  std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::tolower(c); });
  return type.find("json") != std::string::npos;
}

// The body, or nullopt when it exceeds `max_bytes` (read no further than that).
std::optional<std::string> ReadBody(HTTPServerRequest& request, std::size_t max_bytes) {
  if (request.hasContentLength() && request.getContentLength64() > static_cast<Poco::Int64>(max_bytes)) {
    return std::nullopt;
  }
  std::string body;
  char buffer[8192];
  std::istream& in = request.stream();
  while (in) {
    in.read(buffer, sizeof(buffer));
    body.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (body.size() > max_bytes) return std::nullopt;
  }
  return body;
}

class Handler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(ServerState& state) : state_(state) {}

  void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
    HttpReply reply;
    std::chrono::milliseconds latency{0};
    nlohmann::json fields = nlohmann::json::object();
    bool logged = false;
    try {
      fields = {{"method", request.getMethod()}, {"path", Poco::URI(request.getURI()).getPath()}};
      reply = Route(request, latency, fields, logged);
    } catch (const InvalidRequest& e) {
      reply = ProblemReply(400, "invalid-request", "Bad Request", e.what());
    } catch (const store::TransientStoreError& e) {
      // Rolled back: nothing was applied, so the caller may retry with the same key.
      log::Warn("ledger busy", {{"error", e.what()}});
      reply = ProblemReply(503, "ledger-busy", "Service Unavailable", "the ledger is busy; retry");
    } catch (const std::exception& e) {
      log::Error("request failed", {{"error", e.what()}, {"uri", request.getURI()}});
      reply = ProblemReply(500, "internal-error", "Internal Server Error", "internal error; see the provider log");
    } catch (...) {
      log::Error("request failed with a non-standard exception", {{"uri", request.getURI()}});
      reply = ProblemReply(500, "internal-error", "Internal Server Error", "internal error; see the provider log");
    }
    try {
      // After the ledger work on purpose: a client whose timeout is shorter than the
      // injected latency gives up although the effect happened, which is exactly the case
      // idempotency keys exist for.
      if (latency.count() > 0) std::this_thread::sleep_for(latency);
      if (logged) {
        fields["status"] = reply.reply.status;
        fields["replayed"] = reply.reply.replayed;
        log::Info("request handled", fields);
      }
      Send(response, reply);
    } catch (const std::exception& e) {
      log::Warn("response not sent", {{"error", e.what()}});
    } catch (...) {
      log::Warn("response not sent");
    }
  }

 private:
  // `logged`: the request is one a worker makes (not a test-only read), worth a log line.
  HttpReply Route(HTTPServerRequest& request, std::chrono::milliseconds& latency, nlohmann::json& fields,
                  bool& logged) {
    const std::string path = fields["path"].get<std::string>();
    const std::string& method = request.getMethod();
    const bool get = method == Poco::Net::HTTPRequest::HTTP_GET;
    const bool post = method == Poco::Net::HTTPRequest::HTTP_POST;

    if (path == "/healthz") {
      if (!get) return MethodNotAllowed("GET");
      return {Reply{200, {{"status", "ok"}}}};
    }
    if (path == "/v1/ledger") {
      if (!get) return MethodNotAllowed("GET");
      return {Reply{200, state_.ledger.Snapshot()}};
    }
    if (path == "/v1/faults") {
      if (get) return {Reply{200, ToJson(state_.faults.Get())}};
      if (!post) return MethodNotAllowed("GET, POST");
      auto body = ReadBody(request, state_.options.max_body_bytes);
      if (!body) return TooLarge();
      const FaultSettings settings = ParseFaultSettings(ParseJsonObject(*body));
      state_.faults.Set(settings);
      log::Warn("faults set", ToJson(settings));
      return {Reply{200, ToJson(settings)}};
    }
    if (path == "/v1/charges" && get) {
      logged = true;
      return FindCharge(request, latency, fields);
    }
    if (path == "/v1/charges" || path == "/v1/refunds" || path == "/v1/emails") {
      if (!post) return MethodNotAllowed(path == "/v1/charges" ? "GET, POST" : "POST");
      logged = true;
      return Mutating(request, path, latency, fields);
    }
    return ProblemReply(404, "not-found", "Not Found", "no route " + method + " " + path);
  }

  HttpReply Mutating(HTTPServerRequest& request, const std::string& path, std::chrono::milliseconds& latency,
                     nlohmann::json& fields) {
    if (!IsJsonContentType(request)) {
      HttpReply reply = ProblemReply(415, "unsupported-media-type", "Unsupported Media Type",
                                     "send Content-Type: application/json");
      reply.close = true;
      return reply;
    }
    auto text = ReadBody(request, state_.options.max_body_bytes);
    if (!text) return TooLarge();
    const std::string key = request.get("Idempotency-Key", "");
    ValidateIdempotencyKey(key);
    fields["idempotency_key"] = key;
    const nlohmann::json body = ParseJsonObject(*text);

    // Parse before deciding faults, so a burst counts well-formed requests only and a
    // chaos test knows exactly which calls will fail.
    std::optional<ChargeRequest> charge;
    std::optional<RefundRequest> refund;
    std::optional<EmailRequest> email;
    if (path == "/v1/charges") {
      charge = ParseChargeRequest(body);
      fields["order_id"] = charge->order_id;
    } else if (path == "/v1/refunds") {
      refund = ParseRefundRequest(body);
      fields["charge_id"] = refund->charge_id;
    } else {
      email = ParseEmailRequest(body);
      fields["order_id"] = email->order_id;
    }

    // Decided before the ledger is touched: an injected failure has no effect at all.
    const FaultDecision fault = state_.faults.Next();
    latency = fault.latency;
    if (fault.fail) {
      fields["fault"] = "injected_5xx";
      return ProblemReply(503, "injected-fault", "Service Unavailable", "injected fault; retry");
    }
    if (charge && charge->token == kTokenSlow) {
      // Before the ledger: the charge (and its answer) happens only after the delay.
      std::this_thread::sleep_for(state_.options.slow);
    }
    if (charge) return {state_.ledger.Charge(key, *charge)};
    if (refund) return {state_.ledger.Refund(key, *refund)};
    return {state_.ledger.SendEmail(key, *email)};
  }

  // A worker asks after a charge whose outcome it never recorded. Faults apply: a real
  // provider fails reads too, and the worker must treat that as "unknown, retry later".
  HttpReply FindCharge(HTTPServerRequest& request, std::chrono::milliseconds& latency, nlohmann::json& fields) {
    const Poco::URI uri(request.getURI());
    std::string key;
    bool found = false;
    for (const auto& [name, value] : uri.getQueryParameters()) {
      if (name == "idempotency_key") {
        key = value;
        found = true;
      }
    }
    if (!found) throw InvalidRequest("query parameter idempotency_key is required");
    ValidateIdempotencyKey(key);
    fields["idempotency_key"] = key;

    const FaultDecision fault = state_.faults.Next();
    latency = fault.latency;
    if (fault.fail) {
      fields["fault"] = "injected_5xx";
      return ProblemReply(503, "injected-fault", "Service Unavailable", "injected fault; retry");
    }
    return {state_.ledger.FindCharge(key)};
  }

  HttpReply TooLarge() const {
    HttpReply reply = ProblemReply(413, "payload-too-large", "Payload Too Large",
                                   "request body exceeds " + std::to_string(state_.options.max_body_bytes) + " bytes");
    reply.close = true;
    return reply;
  }

  static void Send(HTTPServerResponse& response, const HttpReply& http_reply) {
    if (response.sent()) return;
    const Reply& reply = http_reply.reply;
    response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(reply.status));
    const bool problem = reply.status >= 400 && reply.body.contains("type") && reply.body.contains("title");
    response.setContentType(problem ? "application/problem+json" : "application/json");
    response.set("Cache-Control", "no-store");
    if (reply.replayed) response.set("Idempotent-Replayed", "true");
    if (reply.status == 503) response.set("Retry-After", "1");
    if (!http_reply.allow.empty()) response.set("Allow", http_reply.allow);
    if (http_reply.close) response.setKeepAlive(false);
    const std::string text = reply.body.dump();
    response.setContentLength64(static_cast<Poco::Int64>(text.size()));
    response.send() << text;
  }

  ServerState& state_;
};

class HandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit HandlerFactory(ServerState& state) : state_(state) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
    return new Handler(state_);
  }

 private:
  ServerState& state_;
};

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
        pool(2, static_cast<int>(server_options.max_threads)),
        socket(Poco::Net::SocketAddress(server_options.host, server_options.port)) {
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(static_cast<int>(server_options.max_threads));
    params->setMaxQueued(static_cast<int>(server_options.max_queued));
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(5, 0));
    params->setTimeout(Poco::Timespan(10, 0));
    params->setServerName("choreo-provider");
    // Poco's dispatcher wakes only one idle worker on stop; the others notice only when
    // their idle wait ends, and Stop() joins them. A short idle time keeps Stop() fast.
    params->setThreadIdleTime(Poco::Timespan(0, 200 * 1000));
    server = std::make_unique<Poco::Net::HTTPServer>(new HandlerFactory(state), pool, socket, params);
  }

  ServerState state;
  Poco::ThreadPool pool;
  Poco::Net::ServerSocket socket;
  std::unique_ptr<Poco::Net::HTTPServer> server;  // declared last: stops before the rest goes
  std::mutex mutex;
  bool started = false;
  bool stopped = false;
};

ProviderServer::ProviderServer(ProviderServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

ProviderServer::~ProviderServer() {
  try {
    Stop();
  } catch (...) {
    // Nothing sensible to do in a destructor; the process is going away with it.
  }
}

void ProviderServer::Start() {
  std::lock_guard lock(impl_->mutex);
  if (impl_->started) return;
  if (impl_->stopped) throw std::logic_error("ProviderServer: Start after Stop");
  impl_->server->start();
  impl_->started = true;
  log::Info("provider listening", {{"url", BaseUrl()}, {"store", secrets::RedactUrl(impl_->state.options.store_url)}});
}

void ProviderServer::Stop() {
  std::lock_guard lock(impl_->mutex);
  if (impl_->stopped) return;
  impl_->stopped = true;
  // abortCurrent: idle keep-alive connections would otherwise hold the pool for their
  // whole keep-alive timeout.
  impl_->server->stopAll(true);
  impl_->pool.joinAll();
}

std::uint16_t ProviderServer::Port() const { return impl_->socket.address().port(); }

std::string ProviderServer::BaseUrl() const {
  return "http://" + impl_->state.options.host + ":" + std::to_string(Port());
}

}  // namespace choreo::provider
