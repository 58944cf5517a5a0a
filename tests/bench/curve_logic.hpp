#pragma once
// The pure rules of the latency-throughput curve (no I/O, checked by bench_logic_test):
// the open-loop send schedule, when a step counts as saturated, which steps come next and
// what the throughput at the SLO is.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace choreo::bench {

// Open loop: order i is due at start + i / rate, whatever happened to the orders before
// it. Latency is taken from this time, not from when a sender got round to it, so a slow
// answer cannot hide the wait it causes (no coordinated omission).
std::chrono::nanoseconds ScheduledOffset(std::size_t i, double rate);
// Orders in a step of `seconds` at `rate` (at least 1).
std::size_t ScheduledCount(double rate, double seconds);
// Sender connections for a rate: enough that answers of ~100 ms do not delay later sends,
// within what the gateway serves at once. `requested` > 0 wins.
int SenderConnections(double rate, int requested);

// "0.1,0.25,0.5": increasing fractions in (0, 1]. Throws std::invalid_argument.
std::vector<double> ParseFractions(std::string_view text);

struct StepVerdict {
  bool saturated = false;
  const char* why = "";  // "not all terminal", "achieved < 90 % of offered", ""
};
// A step is saturated when some accepted order is still not terminal `grace` after its
// schedule ended, or fewer orders per second became terminal than 90 % of those offered.
StepVerdict JudgeStep(double offered_per_s, double achieved_per_s, std::size_t accepted, std::size_t terminal_in_time);
inline constexpr double kMinAchievedRatio = 0.9;

// Orders per second that became terminal, from their completion times (seconds, any
// order): (n - 1) / (last - first). While the system keeps up, completions follow the
// schedule and this is the offered rate; when it falls behind, it is what it manages. 0
// for fewer than two.
double CompletionRate(std::vector<double> completion_seconds);

struct CurvePoint {
  double rate = 0;  // offered orders/s
  double p50_ms = 0, p99_ms = 0;
  bool saturated = false;
};
// A point meets the SLO when it is not saturated and its p99 is under the SLO.
bool MeetsSlo(const CurvePoint& point, double slo_p99_ms);
// The throughput at the SLO: the highest rate that meets it below the lowest rate that
// does not (a lucky pass above a failure does not count). nullopt when none meets it.
std::optional<CurvePoint> SloPoint(const std::vector<CurvePoint>& points, double slo_p99_ms);
// The next rate worth measuring: halfway between the SLO point (or 0) and the lowest
// failing rate. nullopt when nothing failed, or the gap is under 5 % of the failing rate.
std::optional<double> RefineRate(const std::vector<CurvePoint>& points, double slo_p99_ms);

}  // namespace choreo::bench
