// The gateway executable: flags/environment -> GatewayOptions, run until SIGTERM/SIGINT.
#include <cmath>
#include <chrono>
#include <thread>
#include <string>
#include <vector>

#include "choreo/config/options.hpp"
#include "choreo/config/process.hpp"
#include "choreo/gateway/gateway.hpp"
#include "choreo/log/log.hpp"
#include "choreo/worker/host.hpp"

namespace {

std::vector<std::string> SplitKeys(const std::string& text) {
  std::vector<std::string> keys;
  std::string current;
  for (char c : text + ",") {
    if (c == ',') {
      if (!current.empty()) keys.push_back(current);
      current.clear();
    } else if (c != ' ') {
      current += c;
    }
  }
  return keys;
}

// A flag holding a number >= 0 (fractions allowed: 0.5 orders/s is one every 2 s).
double NonNegativeNumber(const choreo::config::Options& flags, const std::string& name) {
  const std::string text = flags.Get(name);
  std::size_t used = 0;
  double value = -1;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || !(value >= 0) || !std::isfinite(value)) {
    throw choreo::config::UsageError("--" + name + " must be a number >= 0, not '" + text + "'");
  }
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace choreo;
  gateway::GatewayOptions options;
  config::Options flags("gateway", "choreo HTTP gateway: takes orders (POST /orders) and answers GET /orders/{id}.");
  // Where it listens, its broker and its store.
  flags.Add("listen-address", "CHOREO_GATEWAY_ADDRESS", "127.0.0.1", "address to listen on (0.0.0.0: all interfaces)")
      .Add("port", "CHOREO_GATEWAY_PORT", "8080", "HTTP port (0: any free port)")
      .Add("amqp-url", "CHOREO_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/", "broker URL")
      .Add("store-url", "CHOREO_STORE_URL", "sqlite:var/data/gateway.db", "store URL (sqlite:PATH or postgresql://...)")
      .Add("store-pool-size", "CHOREO_GATEWAY_STORE_POOL_SIZE", "8", "database connections");
  // The HTTP server's limits.
  flags.Add("max-body-bytes", "CHOREO_GATEWAY_MAX_BODY_BYTES", "65536", "larger request bodies get 413")
      .Add("max-threads", "CHOREO_GATEWAY_MAX_THREADS", "64",
           "connections served at once (a keep-alive connection holds its thread)")
      .Add("max-queued", "CHOREO_GATEWAY_MAX_QUEUED", "64", "connections waiting for a thread; more are refused")
      .Add("io-timeout", "CHOREO_GATEWAY_IO_TIMEOUT", "10s", "socket read/write timeout")
      .Add("request-timeout", "CHOREO_GATEWAY_REQUEST_TIMEOUT", "30s", "deadline for receiving a request body (408)")
      .Add("keep-alive-timeout", "CHOREO_GATEWAY_KEEP_ALIVE_TIMEOUT", "5s", "idle keep-alive connections are closed after");
  // Taking orders.
  flags.Add("api-keys", "CHOREO_GATEWAY_API_KEYS", "",
            "comma-separated API keys for 'Authorization: Bearer <key>' on /orders (empty: no auth; prefer the "
            "environment variable, flags show in ps)")
      .Add("idempotency-ttl", "CHOREO_GATEWAY_IDEMPOTENCY_TTL", "24h", "how long Idempotency-Key records are kept");
  // Committing them together, and the log.
  flags.Add("group-commit-max", "CHOREO_GATEWAY_GROUP_COMMIT_MAX", "64",
            "concurrent POST /orders committed in one store transaction at most")
      .Add("group-commit-window", "CHOREO_GATEWAY_GROUP_COMMIT_WINDOW", "0ms",
           "how long to wait for more orders to commit together (0: only those already waiting)")
      .Add("rate-limit", "CHOREO_GATEWAY_RATE_LIMIT", "0", "orders/s per API key (429 beyond; 0: no limit)")
      .Add("rate-burst", "CHOREO_GATEWAY_RATE_BURST", "0", "orders an API key may send at once (0: the rate)")
      .Add("max-in-flight", "CHOREO_GATEWAY_MAX_IN_FLIGHT", "0",
           "accepted orders not yet terminal, all gateways together, beyond which POST /orders gets 503 (0: no bound)")
      .Add("max-intake-pending", "CHOREO_GATEWAY_MAX_INTAKE_PENDING", "50000",
           "orders not yet handed to the broker beyond which POST /orders gets 503 (0: no bound)")
      .Add("max-intake-age", "CHOREO_GATEWAY_MAX_INTAKE_AGE", "0ms",
           "age of the oldest order not yet handed to the broker beyond which POST /orders gets 503 (0: no bound)")
      .Add("log-level", "CHOREO_LOG_LEVEL", "info", "debug | info | warn | error")
      .AddFlag("help", "print this help");
  return config::RunProcess(
      flags, argc, argv,
      {.read =
           [&] {
             log::SetComponent("gateway");
             log::SetLevel(log::ParseLevel(flags.Get("log-level")));
             options.listen_address = flags.Get("listen-address");
             options.port = static_cast<int>(flags.GetInt("port"));
             options.amqp_url = flags.Get("amqp-url");
             options.store_url = flags.Get("store-url");
             options.store_pool_size = static_cast<std::size_t>(flags.GetInt("store-pool-size"));
             const auto max_body = flags.GetInt("max-body-bytes");
             if (max_body < 1) throw config::UsageError("--max-body-bytes must be at least 1");
             options.max_body_bytes = static_cast<std::size_t>(max_body);
             options.max_threads = static_cast<int>(flags.GetInt("max-threads"));
             options.max_queued = static_cast<int>(flags.GetInt("max-queued"));
             options.io_timeout = flags.GetDuration("io-timeout");
             options.request_timeout = flags.GetDuration("request-timeout");
             options.keep_alive_timeout = flags.GetDuration("keep-alive-timeout");
             options.api_keys = SplitKeys(flags.Get("api-keys"));
             options.idempotency_ttl = flags.GetDuration("idempotency-ttl");
             const auto group_max = flags.GetInt("group-commit-max");
             if (group_max < 1) throw config::UsageError("--group-commit-max must be at least 1");
             options.group_commit_max_size = static_cast<std::size_t>(group_max);
             options.group_commit_window = flags.GetDuration("group-commit-window");
             options.admission.rate_per_key = NonNegativeNumber(flags, "rate-limit");
             options.admission.burst_per_key = NonNegativeNumber(flags, "rate-burst");
             const auto in_flight = flags.GetInt("max-in-flight");
             const auto intake_pending = flags.GetInt("max-intake-pending");
             if (in_flight < 0 || intake_pending < 0) {
               throw config::UsageError("--max-in-flight and --max-intake-pending must not be negative");
             }
             options.admission.max_in_flight = static_cast<std::size_t>(in_flight);
             options.admission.max_intake_pending = static_cast<std::size_t>(intake_pending);
             options.admission.max_intake_age = flags.GetDuration("max-intake-age");
             options.Validate();
           },
       .run =
           [&] {
             nlohmann::json effective = nlohmann::json::object();
             for (const auto& [name, value] : flags.Effective()) {
               effective[name] = name == "api-keys" && !value.empty() ? "***" : value;
             }
             log::Info("starting", {{"config", effective}});
             gateway::Gateway gateway(options);
             // SIGTERM/SIGINT set the host's stop flag, as in every worker; polled below.
             worker::InstallSignalHandlers(gateway.Host());
             gateway.Start();
             int exit_code = config::kExitOk;
             while (!gateway.Host().StopRequested()) {
               if (!gateway.WorkerHealthy()) {
                 log::Error("worker failed; exiting");
                 exit_code = config::kExitFailed;
                 break;
               }
               std::this_thread::sleep_for(std::chrono::milliseconds(100));
             }
             if (exit_code == config::kExitOk) log::Info("stopping");
             gateway.Stop();
             return exit_code;
           },
       .failed = [](const std::exception& e) { log::Error("gateway failed", {{"error", e.what()}}); }});
}
