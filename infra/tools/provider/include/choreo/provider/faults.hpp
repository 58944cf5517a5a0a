#pragma once
// Fault injection for chaos tests (POST /v1/faults). Faults are decided before the ledger
// is touched, so an injected 503 never leaves a half-applied effect behind. They apply to
// the mutating requests and to the charge look-up (GET /v1/charges), which a real
// provider can fail too; not to the test-only reads (/v1/ledger, /v1/faults, /healthz).
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>

#include <nlohmann/json.hpp>

namespace choreo::provider {

struct FaultSettings {
  double error_rate = 0.0;       // probability that a mutating request answers 503
  std::int64_t latency_ms = 0;   // added to every mutating request
  std::int64_t burst_5xx = 0;    // the next N mutating requests answer 503

  // The upper bound of latency_ms: a handler thread sleeps that long.
  static constexpr std::int64_t kMaxLatencyMs = 60'000;
};

// Parses {"error_rate":0.0-1.0, "latency_ms":N, "burst_5xx":N}. A field left out is 0, so
// `{}` clears every fault and a test never inherits settings it did not ask for.
// Throws InvalidRequest.
FaultSettings ParseFaultSettings(const nlohmann::json& body);
nlohmann::json ToJson(const FaultSettings& settings);

// What to do with one mutating request.
struct FaultDecision {
  bool fail = false;  // answer 503 without touching the ledger
  std::chrono::milliseconds latency{0};
};

// Thread-safe.
class FaultInjector {
 public:
  // `uniform` returns values in [0, 1); injectable so tests can make error_rate decisions
  // deterministic.
  explicit FaultInjector(std::function<double()> uniform = {});

  void Set(const FaultSettings& settings);
  // Current settings; burst_5xx is what remains of the burst.
  FaultSettings Get() const;
  // Decides for the next mutating request and consumes one burst slot if any remain.
  FaultDecision Next();

 private:
  mutable std::mutex mutex_;
  FaultSettings settings_;
  std::function<double()> uniform_;
};

}  // namespace choreo::provider
