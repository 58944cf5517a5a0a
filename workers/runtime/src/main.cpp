#include "choreo/config/options.hpp"
#include "choreo/config/process.hpp"
#include "choreo/log/log.hpp"
#include "choreo/worker/worker.hpp"

namespace choreo::worker {

int Main(int argc, char** argv, std::string name, const std::function<void(config::Options&)>& add_flags,
         const std::function<void(Worker&, const config::Options&)>& configure) {
  config::Options flags(name + "-worker", "choreo " + name + " worker: consumes its queue, runs its handlers.");
  flags.Add("amqp-url", "CHOREO_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/", "broker URL")
      .Add("store-url", "CHOREO_STORE_URL", "sqlite:var/data/" + name + ".db", "store URL (sqlite:PATH or postgresql://...)")
      .Add("http-port", "CHOREO_HTTP_PORT", "-1", "port of /healthz, /readyz, /metrics on 127.0.0.1 (-1: off)")
      .Add("prefetch", "CHOREO_PREFETCH", "256", "unacknowledged deliveries in flight")
      .Add("batch-size", "CHOREO_BATCH_SIZE", "64", "deliveries per store transaction (at most)")
      .Add("ack-delay", "CHOREO_ACK_DELAY", "50ms",
           "handled deliveries are acknowledged together at most this late (0ms: each at once)")
      .Add("effect-concurrency", "CHOREO_EFFECT_CONCURRENCY", "16",
           "effects (provider calls) of one batch run at once")
      .Add("max-retries", "CHOREO_MAX_RETRIES", "4", "retries of a failing message before it is dead-lettered")
      .Add("max-message-bytes", "CHOREO_MAX_MESSAGE_BYTES", "1048576",
           "larger message bodies are dead-lettered unparsed")
      .Add("max-json-depth", "CHOREO_MAX_JSON_DEPTH", "64", "deeper nested bodies are dead-lettered unparsed")
      .Add("circuit-failures", "CHOREO_CIRCUIT_FAILURES", "5",
           "consecutive store or dependency failures that open its circuit")
      .Add("circuit-failure-percent", "CHOREO_CIRCUIT_FAILURE_PERCENT", "80",
           "failure rate (percent of the calls of the last 10 s, at least 20) that opens a circuit")
      .Add("circuit-probe-max", "CHOREO_CIRCUIT_PROBE_MAX", "30s",
           "longest wait between probes of an open circuit (the first is 1 s, then doubling)")
      .Add("log-level", "CHOREO_LOG_LEVEL", "info", "debug | info | warn | error")
      .AddFlag("help", "print this help");
  if (add_flags) add_flags(flags);
  WorkerOptions options;
  return config::RunProcess(
      flags, argc, argv,
      {.read =
           [&] {
             log::SetComponent(name + "-worker");
             log::SetLevel(log::ParseLevel(flags.Get("log-level")));
             options.name = name;
             options.amqp_url = flags.Get("amqp-url");
             options.store_url = flags.Get("store-url");
             options.http_port = static_cast<int>(flags.GetInt("http-port"));
             options.prefetch = static_cast<uint16_t>(flags.GetInt("prefetch"));
             options.batch_size = static_cast<std::size_t>(flags.GetInt("batch-size"));
             options.effect_concurrency = static_cast<std::size_t>(flags.GetInt("effect-concurrency"));
             options.ack_delay = flags.GetDuration("ack-delay");
             options.max_retries = static_cast<int>(flags.GetInt("max-retries"));
             options.limits.max_bytes = static_cast<std::size_t>(flags.GetInt("max-message-bytes"));
             options.limits.max_depth = static_cast<int>(flags.GetInt("max-json-depth"));
             options.circuit.failure_threshold = static_cast<int>(flags.GetInt("circuit-failures"));
             options.circuit.failure_rate = static_cast<double>(flags.GetInt("circuit-failure-percent")) / 100.0;
             options.circuit.open_max = flags.GetDuration("circuit-probe-max");
             options.Validate();
           },
       .run =
           [&] {
             nlohmann::json effective = nlohmann::json::object();
             for (const auto& [k, v] : flags.Effective()) effective[k] = v;
             log::Info("starting", {{"config", effective}});
             Worker worker(options);
             configure(worker, flags);
             InstallSignalHandlers(worker);
             worker.Run();
             return config::kExitOk;
           },
       .failed = [](const std::exception& e) { log::Error("worker failed", {{"error", e.what()}}); }});
}

}  // namespace choreo::worker
