#pragma once
// Admission control for POST /orders: past the load the system can finish within its
// latency target, the gateway answers at once with an honest refusal instead of accepting
// work that would only wait in queues (docs/gateway.md, "Load shedding").
//
// Two refusals, checked in this order:
//   429 rate_limited   a caller (API key) sends more than `rate_per_key` orders/s, beyond
//                      a burst of `burst_per_key` (a token bucket per key, per gateway
//                      process: with N gateways a key gets up to N times the rate).
//   503 overloaded     the system as a whole is behind: more accepted orders are not yet
//                      terminal than `max_in_flight` (counted over the shared read model,
//                      so over all gateways of the deployment), or the intake's own outbox
//                      holds more than `max_intake_pending` unpublished rows, or its oldest
//                      is older than `max_intake_age` (the broker is not taking them).
// Both carry Retry-After. A refused order writes nothing.
//
// The load figures come from the store, at most once per `refresh_interval` (a query on
// partial indexes whose size is the backlog itself, never a table scan); orders accepted
// since the last reading are added to it, so a burst inside one interval is still
// counted.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace choreo::gateway {

struct AdmissionOptions {
  double rate_per_key = 0;   // orders/s per API key and gateway; 0: no limit
  double burst_per_key = 0;  // orders a key may send at once; 0: max(1, rate_per_key)
  // Accepted orders not yet confirmed or cancelled, all gateways together; 0: no bound.
  // Little's law sizes it: the rate the system sustains within its latency target times
  // that target (200 orders/s at 250 ms: 50).
  std::size_t max_in_flight = 0;
  std::size_t max_intake_pending = 50000;           // 0: no bound
  std::chrono::milliseconds max_intake_age{0};      // 0: no bound
  std::chrono::milliseconds refresh_interval{100};  // how stale the load figures may be
  std::chrono::seconds overload_retry_after{1};

  // Throws std::invalid_argument naming the offending field.
  void Validate() const;
  // Whether any bound on the backlog is set (else the store is never read).
  bool LoadBounded() const { return max_in_flight > 0 || max_intake_pending > 0 || max_intake_age.count() > 0; }
};

// What the store says about the backlog.
struct LoadReading {
  std::int64_t in_flight = 0;       // orders in the read model neither confirmed nor cancelled
  std::int64_t intake_pending = 0;  // the gateway outbox's unpublished rows
  std::optional<std::chrono::milliseconds> intake_oldest_age;
};

enum class Refusal { kRateLimited, kInFlight, kIntakeBacklog, kIntakeAge };

struct AdmissionVerdict {
  std::optional<Refusal> refusal;  // nullopt: admit
  std::chrono::seconds retry_after{0};
  std::string detail;  // for the problem+json body

  bool Admitted() const { return !refusal; }
};

// The metric label of a refusal: "rate_limited", "in_flight", "intake_backlog", "intake_age".
const char* RefusalName(Refusal refusal);

// The overload rule alone (no clock, no store): whether `reading` exceeds a bound.
std::optional<AdmissionVerdict> JudgeLoad(const AdmissionOptions& options, const LoadReading& reading);

// A token bucket per key. Thread-safe.
class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  RateLimiter(double rate_per_s, double burst);
  // Takes a token of `key` at `now`; when there is none, returns how long until there is.
  std::optional<Clock::duration> Take(const std::string& key, Clock::time_point now);

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point updated;
  };
  double rate_;
  double burst_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

class AdmissionControl {
 public:
  using Clock = std::chrono::steady_clock;
  // `read` queries the store (it may throw: then the last reading stays in force).
  AdmissionControl(AdmissionOptions options, std::function<LoadReading()> read);

  // Whether an order of `principal` may be accepted now.
  AdmissionVerdict Admit(const std::string& principal, Clock::time_point now = Clock::now());
  // An order was accepted: counted as in flight and pending until the next reading.
  void Accepted();

  const AdmissionOptions& Options() const { return options_; }

 private:
  LoadReading Current(Clock::time_point now);

  AdmissionOptions options_;
  std::function<LoadReading()> read_;
  std::unique_ptr<RateLimiter> limiter_;
  std::mutex mutex_;
  LoadReading reading_;
  std::int64_t accepted_since_reading_ = 0;
  std::optional<Clock::time_point> read_at_;
  bool reading_now_ = false;  // one request reads the store; the others use the last reading
};

}  // namespace choreo::gateway
