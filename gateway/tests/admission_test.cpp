// Admission control without a server or store: the token bucket, the overload rule and
// the cached reading that orders accepted since the last reading add to.
#include <gtest/gtest.h>

#include "choreo/gateway/admission.hpp"

namespace choreo::gateway {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(RateLimiterTest, AllowsTheBurstThenRefillsAtTheRate) {
  RateLimiter limiter(/*rate_per_s=*/10, /*burst=*/3);
  const Clock::time_point t0{};
  EXPECT_FALSE(limiter.Take("k", t0));
  EXPECT_FALSE(limiter.Take("k", t0));
  EXPECT_FALSE(limiter.Take("k", t0));
  const auto wait = limiter.Take("k", t0);
  ASSERT_TRUE(wait);
  EXPECT_NEAR(std::chrono::duration<double>(*wait).count(), 0.1, 1e-6);
  EXPECT_TRUE(limiter.Take("k", t0 + 50ms));   // half a token
  EXPECT_FALSE(limiter.Take("k", t0 + 100ms));  // one token
  EXPECT_TRUE(limiter.Take("k", t0 + 100ms));
  // A long pause refills to the burst, never beyond it.
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.Take("k", t0 + 10s)) << i;
  EXPECT_TRUE(limiter.Take("k", t0 + 10s));
}

TEST(RateLimiterTest, KeysHaveTheirOwnBuckets) {
  RateLimiter limiter(1, 1);
  EXPECT_FALSE(limiter.Take("a", Clock::time_point{}));
  EXPECT_TRUE(limiter.Take("a", Clock::time_point{}));
  EXPECT_FALSE(limiter.Take("b", Clock::time_point{}));
}

TEST(JudgeLoadTest, EachBoundRefusesAtItsLimitAndZeroMeansNoBound) {
  AdmissionOptions options{.max_in_flight = 50, .max_intake_pending = 100, .max_intake_age = 5s};
  EXPECT_FALSE(JudgeLoad(options, {.in_flight = 49, .intake_pending = 99, .intake_oldest_age = 4999ms}));

  auto in_flight = JudgeLoad(options, {.in_flight = 50});
  ASSERT_TRUE(in_flight);
  EXPECT_EQ(in_flight->refusal, Refusal::kInFlight);
  EXPECT_EQ(in_flight->retry_after, 1s);
  EXPECT_NE(in_flight->detail.find("50"), std::string::npos);

  auto backlog = JudgeLoad(options, {.intake_pending = 100});
  ASSERT_TRUE(backlog);
  EXPECT_EQ(backlog->refusal, Refusal::kIntakeBacklog);

  auto age = JudgeLoad(options, {.intake_oldest_age = 5s});
  ASSERT_TRUE(age);
  EXPECT_EQ(age->refusal, Refusal::kIntakeAge);

  AdmissionOptions off{.max_in_flight = 0, .max_intake_pending = 0, .max_intake_age = 0ms};
  EXPECT_FALSE(JudgeLoad(off, {.in_flight = 1'000'000, .intake_pending = 1'000'000, .intake_oldest_age = 1h}));
}

TEST(AdmissionOptionsTest, ValidateNamesTheField) {
  EXPECT_NO_THROW(AdmissionOptions{}.Validate());
  try {
    AdmissionOptions{.rate_per_key = -1}.Validate();
    FAIL() << "a negative rate passed";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("rate_per_key"), std::string::npos);
  }
  EXPECT_THROW(AdmissionOptions{.refresh_interval = 0ms}.Validate(), std::invalid_argument);
  EXPECT_THROW(AdmissionOptions{.max_intake_age = -1ms}.Validate(), std::invalid_argument);
}

TEST(AdmissionControlTest, ReadsAtMostOncePerIntervalAndCountsAcceptedOrdersInBetween) {
  int reads = 0;
  AdmissionControl control({.max_in_flight = 3, .max_intake_pending = 0, .refresh_interval = 100ms}, [&] {
    ++reads;
    return LoadReading{.in_flight = 1};
  });
  const Clock::time_point t0{};
  EXPECT_TRUE(control.Admit("k", t0).Admitted());
  EXPECT_EQ(reads, 1);
  control.Accepted();  // 2 in flight now
  EXPECT_TRUE(control.Admit("k", t0 + 10ms).Admitted());
  control.Accepted();  // 3: the bound
  const AdmissionVerdict refused = control.Admit("k", t0 + 20ms);
  EXPECT_EQ(refused.refusal, Refusal::kInFlight);
  EXPECT_EQ(reads, 1) << "read again inside the refresh interval";
  // The next reading replaces the estimate (the store says 1 again).
  EXPECT_TRUE(control.Admit("k", t0 + 100ms).Admitted());
  EXPECT_EQ(reads, 2);
}

TEST(AdmissionControlTest, OrdersAcceptedDuringAReadStayCounted) {
  AdmissionControl* self = nullptr;
  int reads = 0;
  AdmissionControl control({.max_in_flight = 3, .max_intake_pending = 0, .refresh_interval = 100ms}, [&] {
    if (++reads == 2) self->Accepted();  // committed while the store is being read
    return LoadReading{.in_flight = 1};
  });
  self = &control;
  const Clock::time_point t0{};
  EXPECT_TRUE(control.Admit("k", t0).Admitted());
  control.Accepted();                                        // counted before the next read: in it
  EXPECT_TRUE(control.Admit("k", t0 + 100ms).Admitted());   // 1 + the one accepted during the read
  control.Accepted();                                        // 3: the bound
  EXPECT_EQ(control.Admit("k", t0 + 110ms).refusal, Refusal::kInFlight);
}

TEST(AdmissionControlTest, AStoreErrorKeepsTheLastReading) {
  bool fail = false;
  AdmissionControl control({.max_in_flight = 2, .max_intake_pending = 0, .refresh_interval = 1ms}, [&] {
    if (fail) throw std::runtime_error("store down");
    return LoadReading{.in_flight = 2};
  });
  const Clock::time_point t0{};
  EXPECT_FALSE(control.Admit("k", t0).Admitted());
  fail = true;
  EXPECT_EQ(control.Admit("k", t0 + 5ms).refusal, Refusal::kInFlight);
}

TEST(AdmissionControlTest, RateLimitComesFirstWithItsRetryAfter) {
  int reads = 0;
  AdmissionControl control({.rate_per_key = 0.5, .burst_per_key = 1, .max_intake_pending = 0}, [&] {
    ++reads;
    return LoadReading{};
  });
  const Clock::time_point t0{};
  EXPECT_TRUE(control.Admit("k", t0).Admitted());
  const AdmissionVerdict limited = control.Admit("k", t0);
  EXPECT_EQ(limited.refusal, Refusal::kRateLimited);
  EXPECT_EQ(limited.retry_after, 2s);  // one token every 2 s
  EXPECT_NE(limited.detail.find("0.5 orders per second"), std::string::npos) << limited.detail;
  EXPECT_TRUE(control.Admit("other", t0).Admitted());
  EXPECT_EQ(reads, 0) << "no load bound configured: the store is never asked";
}

}  // namespace
}  // namespace choreo::gateway
