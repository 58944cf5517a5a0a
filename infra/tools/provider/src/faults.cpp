#include "choreo/provider/faults.hpp"

#include <random>

#include "choreo/provider/protocol.hpp"

namespace choreo::provider {

namespace {

std::int64_t NonNegativeInteger(const nlohmann::json& body, const char* name, std::int64_t max) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return 0;
  if (!it->is_number_integer() || it->get<std::int64_t>() < 0 || it->get<std::int64_t>() > max) {
    throw InvalidRequest(std::string("field \"") + name + "\" must be an integer from 0 to " +
                         std::to_string(max));
  }
  return it->get<std::int64_t>();
}

double DefaultUniform() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

}  // namespace

FaultSettings ParseFaultSettings(const nlohmann::json& body) {
  if (!body.is_object()) throw InvalidRequest("request body must be a JSON object");
  FaultSettings settings;
  if (auto it = body.find("error_rate"); it != body.end() && !it->is_null()) {
    if (!it->is_number() || it->get<double>() < 0.0 || it->get<double>() > 1.0) {
      throw InvalidRequest("field \"error_rate\" must be a number from 0.0 to 1.0");
    }
    settings.error_rate = it->get<double>();
  }
  settings.latency_ms = NonNegativeInteger(body, "latency_ms", FaultSettings::kMaxLatencyMs);
  settings.burst_5xx = NonNegativeInteger(body, "burst_5xx", 1'000'000'000);
  return settings;
}

nlohmann::json ToJson(const FaultSettings& settings) {
  return {{"error_rate", settings.error_rate},
          {"latency_ms", settings.latency_ms},
          {"burst_5xx", settings.burst_5xx}};
}

FaultInjector::FaultInjector(std::function<double()> uniform)
    : uniform_(uniform ? std::move(uniform) : std::function<double()>(DefaultUniform)) {}

void FaultInjector::Set(const FaultSettings& settings) {
  std::lock_guard lock(mutex_);
  settings_ = settings;
}

FaultSettings FaultInjector::Get() const {
  std::lock_guard lock(mutex_);
  return settings_;
}

FaultDecision FaultInjector::Next() {
  std::lock_guard lock(mutex_);
  FaultDecision decision;
  decision.latency = std::chrono::milliseconds(settings_.latency_ms);
  if (settings_.burst_5xx > 0) {
    --settings_.burst_5xx;
    decision.fail = true;
  } else if (settings_.error_rate > 0.0) {
    decision.fail = uniform_() < settings_.error_rate;
  }
  return decision;
}

}  // namespace choreo::provider
