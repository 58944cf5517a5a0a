#include "choreo/gateway/admission.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "choreo/log/log.hpp"

namespace choreo::gateway {

void AdmissionOptions::Validate() const {
  auto fail = [](const std::string& what) { throw std::invalid_argument("gateway admission: " + what); };
  if (!(rate_per_key >= 0) || !std::isfinite(rate_per_key)) fail("rate_per_key must be a finite number >= 0");
  if (!(burst_per_key >= 0) || !std::isfinite(burst_per_key)) fail("burst_per_key must be a finite number >= 0");
  if (max_intake_age.count() < 0) fail("max_intake_age must not be negative");
  if (refresh_interval.count() <= 0) fail("refresh_interval must be positive");
  if (overload_retry_after.count() < 1) fail("overload_retry_after must be at least 1 s");
}

const char* RefusalName(Refusal refusal) {
  switch (refusal) {
    case Refusal::kRateLimited:
      return "rate_limited";
    case Refusal::kInFlight:
      return "in_flight";
    case Refusal::kIntakeBacklog:
      return "intake_backlog";
    case Refusal::kIntakeAge:
      return "intake_age";
  }
  return "unknown";
}

std::optional<AdmissionVerdict> JudgeLoad(const AdmissionOptions& options, const LoadReading& reading) {
  auto refuse = [&](Refusal refusal, std::string detail) {
    return AdmissionVerdict{refusal, options.overload_retry_after, std::move(detail)};
  };
  if (options.max_in_flight > 0 && reading.in_flight >= static_cast<std::int64_t>(options.max_in_flight)) {
    return refuse(Refusal::kInFlight, std::to_string(reading.in_flight) +
                                          " accepted orders are still in progress (the bound is " +
                                          std::to_string(options.max_in_flight) +
                                          "); the system is at capacity. Retry later.");
  }
  if (options.max_intake_pending > 0 &&
      reading.intake_pending >= static_cast<std::int64_t>(options.max_intake_pending)) {
    return refuse(Refusal::kIntakeBacklog, std::to_string(reading.intake_pending) +
                                               " accepted orders wait to be handed to the message broker (the "
                                               "bound is " +
                                               std::to_string(options.max_intake_pending) + "). Retry later.");
  }
  if (options.max_intake_age.count() > 0 && reading.intake_oldest_age &&
      *reading.intake_oldest_age >= options.max_intake_age) {
    return refuse(Refusal::kIntakeAge, "The oldest accepted order has waited " +
                                           std::to_string(reading.intake_oldest_age->count()) +
                                           " ms to be handed to the message broker (the bound is " +
                                           std::to_string(options.max_intake_age.count()) + " ms). Retry later.");
  }
  return std::nullopt;
}

RateLimiter::RateLimiter(double rate_per_s, double burst) : rate_(rate_per_s), burst_(std::max(1.0, burst)) {}

std::optional<RateLimiter::Clock::duration> RateLimiter::Take(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto [it, fresh] = buckets_.try_emplace(key, Bucket{burst_, now});
  Bucket& bucket = it->second;
  if (!fresh && now > bucket.updated) {
    bucket.tokens = std::min(burst_, bucket.tokens + rate_ * std::chrono::duration<double>(now - bucket.updated).count());
    bucket.updated = now;
  }
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return std::nullopt;
  }
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>((1.0 - bucket.tokens) / rate_));
}

AdmissionControl::AdmissionControl(AdmissionOptions options, std::function<LoadReading()> read)
    : options_(std::move(options)), read_(std::move(read)) {
  options_.Validate();
  if (options_.rate_per_key > 0) {
    const double burst = options_.burst_per_key > 0 ? options_.burst_per_key : options_.rate_per_key;
    limiter_ = std::make_unique<RateLimiter>(options_.rate_per_key, burst);
  }
}

LoadReading AdmissionControl::Current(Clock::time_point now) {
  std::unique_lock lock(mutex_);
  const bool due = !read_at_ || now - *read_at_ >= options_.refresh_interval;
  if (due && !reading_now_) {
    reading_now_ = true;
    // Orders accepted while the store is read may or may not be in the reading: they stay
    // counted on top of it (an overestimate for one interval, never an underestimate).
    const std::int64_t counted_before = accepted_since_reading_;
    lock.unlock();
    std::optional<LoadReading> fresh;
    try {
      fresh = read_();
    } catch (const std::exception& e) {
      // The intake itself will meet the same store problem and answer 503 for it.
      log::Warn("admission: cannot read the backlog; keeping the last reading", {{"error", e.what()}});
    }
    lock.lock();
    reading_now_ = false;
    read_at_ = now;
    if (fresh) {
      reading_ = *fresh;
      accepted_since_reading_ -= counted_before;
    }
  }
  LoadReading current = reading_;
  current.in_flight += accepted_since_reading_;
  current.intake_pending += accepted_since_reading_;
  return current;
}

AdmissionVerdict AdmissionControl::Admit(const std::string& principal, Clock::time_point now) {
  if (limiter_) {
    if (auto wait = limiter_->Take(principal, now)) {
      const auto seconds = std::max<std::int64_t>(
          1, std::chrono::ceil<std::chrono::seconds>(*wait).count());
      std::ostringstream detail;
      detail << "This API key may send " << options_.rate_per_key << " orders per second; retry after " << seconds
             << " s.";
      return {Refusal::kRateLimited, std::chrono::seconds(seconds), detail.str()};
    }
  }
  if (!options_.LoadBounded()) return {};
  if (auto refused = JudgeLoad(options_, Current(now))) return *refused;
  return {};
}

void AdmissionControl::Accepted() {
  std::lock_guard lock(mutex_);
  ++accepted_since_reading_;
}

}  // namespace choreo::gateway
