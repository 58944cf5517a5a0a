#pragma once
// The circuits of one worker (circuit.hpp), by dependency name ("store", or the name a
// DependencyError carries), with their metrics. Written by the consuming thread, read by
// /readyz and metric scrapes, hence the mutex.
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "choreo/metrics/metrics.hpp"
#include "choreo/worker/circuit.hpp"

namespace choreo::worker::detail {

inline constexpr const char* kStoreCircuit = "store";

class CircuitSet {
 public:
  using Clock = Circuit::Clock;

  CircuitSet(std::string worker, CircuitOptions options);
  ~CircuitSet();

  void RecordFailure(const std::string& dependency, const std::string& error);
  void RecordSuccess(const std::string& dependency);
  // A success of every dependency circuit except the store's: an effect that returned
  // reached whatever it calls.
  void RecordEffectSuccess();

  // Whether `dependency`'s circuit is not closed (open or half-open).
  bool Tripped(const std::string& dependency) const;
  // When some circuit is open (not yet due for a probe): the earliest time one turns
  // half-open. nullopt when none is open.
  std::optional<Clock::time_point> OpenUntil() const;
  // Whether some circuit is half-open: the worker takes one message as a probe.
  bool Probing() const;
  // "" when all are closed, else e.g. "circuit 'provider' open: connection refused".
  std::string Problem() const;

 private:
  metrics::Gauge& StateGauge(const std::string& dependency);

  std::string worker_;
  CircuitOptions options_;
  mutable std::mutex mutex_;
  std::map<std::string, Circuit> circuits_;
  uint64_t collector_id_ = 0;
};

}  // namespace choreo::worker::detail
