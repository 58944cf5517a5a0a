#pragma once
// Each worker's readiness and circuits, as the console shows them: the processes infra/up
// recorded (run_record.hpp) are asked for /readyz and /metrics on their HTTP port, and the
// gauge choreo_circuit_state{worker, circuit} (0 closed, 1 half-open, 2 open: see
// workers/runtime/src/circuit_set.cpp) is read from the metrics text. A process that does
// not answer is "down", which is an answer too: never an error.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "choreo/admin/run_record.hpp"

namespace choreo::admin::console {

struct CircuitReading {
  std::string circuit;  // "store", "provider", ...
  int state = 0;        // 0 closed, 1 half-open, 2 open; -1 a value the console does not know
};

// "closed", "half-open", "open", "unknown".
std::string_view CircuitStateName(int state);

// The choreo_circuit_state samples of a Prometheus text exposition (0.0.4), sorted by
// circuit. Lines it cannot read are skipped. Pure.
std::vector<CircuitReading> ParseCircuitStates(std::string_view metrics_text);

struct WorkerStatus {
  std::string name;  // as recorded: order-worker, payment-worker-2, gateway
  std::string kind;
  std::optional<uint16_t> port;
  bool up = false;     // answered /readyz at all
  bool ready = false;  // /readyz said 200
  std::string reason;  // why not ready, or why down
  bool metrics = false;  // /metrics answered 200
  std::vector<CircuitReading> circuits;
};

// The processes of `record` that have an HTTP admin endpoint (workers and gateways).
std::vector<RecordedService> ScrapedServices(const RunRecord& record);

// Asks one process on 127.0.0.1:<port>, each request bounded by `timeout`. Never throws.
WorkerStatus ScrapeWorker(const RecordedService& service, std::chrono::milliseconds timeout);

// Every ScrapedServices entry, asked at the same time.
std::vector<WorkerStatus> ScrapeWorkers(const RunRecord& record, std::chrono::milliseconds timeout);

nlohmann::json WorkerJson(const WorkerStatus& status);

}  // namespace choreo::admin::console
