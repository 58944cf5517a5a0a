#pragma once
// The payment / mail provider stand-in: an HTTP server on top of Ledger and
// FaultInjector.
//
//   POST /v1/charges  {"order_id","amount_minor","currency","token"}   Idempotency-Key
//   GET  /v1/charges?idempotency_key=K   the charge made under K, or 404 (faults apply)
//   POST /v1/refunds  {"charge_id","amount_minor","reason"}            Idempotency-Key
//   POST /v1/emails   {"to","template","order_id","subject","body"}    Idempotency-Key
//   GET  /v1/ledger   every charge, refund and e-mail
//   GET|POST /v1/faults  {"error_rate","latency_ms","burst_5xx"}
//   GET  /healthz
//
// Runs on choreo::http::Server. Errors are application/problem+json (RFC 9457); a missing
// Content-Type on a POST is taken as JSON. Replayed responses carry
// `Idempotent-Replayed: true`.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <chrono>
#include <vector>

namespace choreo::provider {

struct ProviderServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8090;  // 0 picks an ephemeral port; see ProviderServer::Port()
  std::string store_url = "sqlite:var/data/provider.db";
  std::size_t store_pool_size = 4;
  int flaky_failures = 2;
  // How long a tok_slow charge takes before it succeeds.
  std::chrono::milliseconds slow{3000};
  // Bounded worker pool and accept queue: more concurrent connections are refused
  // rather than spawning threads without limit.
  std::size_t max_threads = 16;
  std::size_t max_queued = 64;
  std::size_t max_body_bytes = 64 * 1024;

  void Validate() const;  // throws std::invalid_argument naming the field
};

class ProviderServer {
 public:
  // Validates the options, opens the store, migrates the ledger and binds the socket, so
  // Port() is known before Start(). Throws std::invalid_argument, store::StoreError,
  // Poco::Exception (port in use).
  explicit ProviderServer(ProviderServerOptions options);
  ~ProviderServer();  // Stop(), swallowing what it throws
  ProviderServer(const ProviderServer&) = delete;
  ProviderServer& operator=(const ProviderServer&) = delete;

  void Start();
  // Stops accepting, aborts idle keep-alive connections and waits for running handlers.
  // Idempotent.
  void Stop();

  std::uint16_t Port() const;
  std::string BaseUrl() const;  // http://host:port

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct ProviderCommandLine {
  ProviderServerOptions options;
  std::string log_level = "info";
  bool help = false;
};

// Flags: --port N, --store URL, --flaky-failures N, --threads N, --log-level L, --help
// (also as --flag=value). Environment, overridden by flags: CHOREO_PROVIDER_PORT,
// CHOREO_PROVIDER_STORE_URL. `args` excludes the program name. Throws
// std::invalid_argument.
ProviderCommandLine ParseProviderArgs(
    const std::vector<std::string>& args,
    const std::function<std::optional<std::string>(const char* name)>& get_env);

// The --help text.
std::string ProviderUsage();

}  // namespace choreo::provider
