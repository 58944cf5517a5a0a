#include "circuit_set.hpp"

#include <vector>

#include "choreo/log/log.hpp"

namespace choreo::worker::detail {

CircuitSet::CircuitSet(std::string worker, CircuitOptions options) : worker_(std::move(worker)), options_(options) {
  options_.Validate();
  // Gauges follow the state at scrape time (an open circuit turns half-open by the clock).
  collector_id_ = metrics::Registry::Default().AddCollector([this] {
    std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    for (const auto& [name, circuit] : circuits_) {
      StateGauge(name).Set(static_cast<double>(static_cast<int>(circuit.State(now))));
    }
  });
  // The store's circuit always exists, so its gauge reads 0 before anything failed.
  circuits_.emplace(kStoreCircuit, Circuit(options_));
}

CircuitSet::~CircuitSet() {
  try {
    metrics::Registry::Default().RemoveCollector(collector_id_);
  } catch (...) {
  }
}

metrics::Gauge& CircuitSet::StateGauge(const std::string& dependency) {
  return metrics::Registry::Default().GetGauge("choreo_circuit_state",
                                               "Circuit breaker state: 0 closed, 1 half-open, 2 open",
                                               {{"worker", worker_}, {"circuit", dependency}});
}

void CircuitSet::RecordFailure(const std::string& dependency, const std::string& error) {
  std::lock_guard lock(mutex_);
  auto it = circuits_.try_emplace(dependency, options_).first;
  const auto now = Clock::now();
  const uint64_t opened = it->second.Opened();
  it->second.RecordFailure(now, error);
  if (it->second.Opened() == opened) return;  // still closed, or a probe failed (logged by the caller)
  metrics::Registry::Default()
      .GetCounter("choreo_circuit_opened_total", "Times a circuit breaker opened",
                  {{"worker", worker_}, {"circuit", dependency}})
      .Inc();
  const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(it->second.RetryAt() - now);
  log::Warn("circuit open: taking no messages until a probe succeeds",
            {{"worker", worker_}, {"circuit", dependency}, {"error", error}, {"probe_in_ms", wait.count()}});
}

void CircuitSet::RecordSuccess(const std::string& dependency) {
  std::lock_guard lock(mutex_);
  auto it = circuits_.find(dependency);
  if (it == circuits_.end()) return;
  const bool was_open = it->second.State(Clock::now()) != CircuitState::kClosed;
  it->second.RecordSuccess(Clock::now());
  if (was_open) log::Info("circuit closed: probe succeeded", {{"worker", worker_}, {"circuit", dependency}});
}

void CircuitSet::RecordEffectSuccess() {
  std::vector<std::string> names;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, circuit] : circuits_) {
      if (name != kStoreCircuit) names.push_back(name);
    }
  }
  for (const std::string& name : names) RecordSuccess(name);
}

bool CircuitSet::Tripped(const std::string& dependency) const {
  std::lock_guard lock(mutex_);
  auto it = circuits_.find(dependency);
  return it != circuits_.end() && it->second.State(Clock::now()) != CircuitState::kClosed;
}

std::optional<CircuitSet::Clock::time_point> CircuitSet::OpenUntil() const {
  std::lock_guard lock(mutex_);
  std::optional<Clock::time_point> until;
  const auto now = Clock::now();
  for (const auto& [name, circuit] : circuits_) {
    if (circuit.State(now) != CircuitState::kOpen) continue;
    if (!until || circuit.RetryAt() < *until) until = circuit.RetryAt();
  }
  return until;
}

bool CircuitSet::Probing() const {
  std::lock_guard lock(mutex_);
  const auto now = Clock::now();
  for (const auto& [name, circuit] : circuits_) {
    if (circuit.State(now) == CircuitState::kHalfOpen) return true;
  }
  return false;
}

std::string CircuitSet::Problem() const {
  std::lock_guard lock(mutex_);
  const auto now = Clock::now();
  std::string problem;
  for (const auto& [name, circuit] : circuits_) {
    const CircuitState state = circuit.State(now);
    if (state == CircuitState::kClosed) continue;
    if (!problem.empty()) problem += "; ";
    problem += "circuit '" + name + "' " + ToString(state) + ": " + circuit.LastError().substr(0, 300);
  }
  return problem;
}

}  // namespace choreo::worker::detail
