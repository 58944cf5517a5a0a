#include "curve_logic.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>

namespace choreo::bench {

std::chrono::nanoseconds ScheduledOffset(std::size_t i, double rate) {
  if (rate <= 0) throw std::invalid_argument("rate must be positive");
  return std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(1e9 * static_cast<double>(i) / rate)));
}

std::size_t ScheduledCount(double rate, double seconds) {
  const double n = std::floor(rate * seconds);
  return n < 1 ? 1 : static_cast<std::size_t>(n);
}

int SenderConnections(double rate, int requested) {
  if (requested > 0) return requested;
  // Little's law: rate x 100 ms answers in flight at once, with a floor for bursts and a
  // ceiling below the gateway's 64 threads (a keep-alive connection holds one).
  return std::clamp(static_cast<int>(std::ceil(rate * 0.1)), 8, 48);
}

std::vector<double> ParseFractions(std::string_view text) {
  std::vector<double> out;
  std::stringstream list{std::string(text)};
  for (std::string item; std::getline(list, item, ',');) {
    std::size_t used = 0;
    double f = 0;
    try {
      f = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || !(f > 0 && f <= 1)) {
      throw std::invalid_argument("curve fraction '" + item + "' is not a number in (0, 1]");
    }
    if (!out.empty() && f <= out.back()) throw std::invalid_argument("curve fractions must increase");
    out.push_back(f);
  }
  if (out.empty()) throw std::invalid_argument("no curve fractions");
  return out;
}

StepVerdict JudgeStep(double offered_per_s, double achieved_per_s, std::size_t accepted, std::size_t terminal_in_time) {
  if (terminal_in_time < accepted) return {true, "not all terminal"};
  if (achieved_per_s < kMinAchievedRatio * offered_per_s) return {true, "achieved < 90 % of offered"};
  return {};
}

double CompletionRate(std::vector<double> completion_seconds) {
  if (completion_seconds.size() < 2) return 0;
  const auto [first, last] = std::minmax_element(completion_seconds.begin(), completion_seconds.end());
  if (*last <= *first) return 0;
  return static_cast<double>(completion_seconds.size() - 1) / (*last - *first);
}

bool MeetsSlo(const CurvePoint& point, double slo_p99_ms) { return !point.saturated && point.p99_ms < slo_p99_ms; }

namespace {

std::optional<double> LowestFailingRate(const std::vector<CurvePoint>& points, double slo_p99_ms) {
  std::optional<double> lowest;
  for (const auto& p : points) {
    if (!MeetsSlo(p, slo_p99_ms) && (!lowest || p.rate < *lowest)) lowest = p.rate;
  }
  return lowest;
}

}  // namespace

std::optional<CurvePoint> SloPoint(const std::vector<CurvePoint>& points, double slo_p99_ms) {
  const std::optional<double> failing = LowestFailingRate(points, slo_p99_ms);
  std::optional<CurvePoint> best;
  for (const auto& p : points) {
    if (!MeetsSlo(p, slo_p99_ms) || (failing && p.rate >= *failing)) continue;
    if (!best || p.rate > best->rate) best = p;
  }
  return best;
}

std::optional<double> RefineRate(const std::vector<CurvePoint>& points, double slo_p99_ms) {
  const std::optional<double> failing = LowestFailingRate(points, slo_p99_ms);
  if (!failing) return std::nullopt;
  const std::optional<CurvePoint> passing = SloPoint(points, slo_p99_ms);
  const double low = passing ? passing->rate : 0.0;
  if (*failing - low < 0.05 * *failing) return std::nullopt;
  return (low + *failing) / 2;
}

}  // namespace choreo::bench
