#include "choreo/metrics/metrics.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <thread>

namespace choreo::metrics {
namespace {

// The registry always carries its own collector-error counter; tests look at the rest.
std::string RenderWithoutSelf(Registry& registry) {
  std::string all = registry.Render();
  const std::string self = "# HELP choreo_metrics_collector_errors_total";
  auto begin = all.find(self);
  if (begin == std::string::npos) return all;
  auto end = all.find("\n# HELP", begin + 1);
  all.erase(begin, end == std::string::npos ? std::string::npos : end + 1 - begin);
  return all;
}

TEST(Metrics, RendersCounterAndGaugeFamiliesOnce) {
  Registry registry;
  registry.GetCounter("jobs_total", "Jobs done.", {{"queue", "b"}}).Inc(2);
  registry.GetCounter("jobs_total", "Jobs done.", {{"queue", "a"}}).Inc();
  registry.GetGauge("backlog", "Rows waiting.").Set(7.5);
  EXPECT_EQ(RenderWithoutSelf(registry),
            "# HELP backlog Rows waiting.\n"
            "# TYPE backlog gauge\n"
            "backlog 7.5\n"
            "# HELP jobs_total Jobs done.\n"
            "# TYPE jobs_total counter\n"
            "jobs_total{queue=\"a\"} 1\n"
            "jobs_total{queue=\"b\"} 2\n");
}

TEST(Metrics, EscapesLabelValuesAndHelp) {
  Registry registry;
  registry.GetCounter("odd_total", "Back\\slash and\nnewline \"quoted\".", {{"v", "a\\b\"c\nd"}}).Inc();
  const std::string text = RenderWithoutSelf(registry);
  EXPECT_NE(text.find("# HELP odd_total Back\\\\slash and\\nnewline \"quoted\".\n"), std::string::npos) << text;
  EXPECT_NE(text.find("odd_total{v=\"a\\\\b\\\"c\\nd\"} 1\n"), std::string::npos) << text;
}

TEST(Metrics, SameNameAndLabelsGiveSameObject) {
  Registry registry;
  Counter& a = registry.GetCounter("x_total", "x", {{"a", "1"}, {"b", "2"}});
  Counter& b = registry.GetCounter("x_total", "x", {{"b", "2"}, {"a", "1"}});
  Counter& c = registry.GetCounter("x_total", "x", {{"a", "1"}, {"b", "3"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &c);
  // Many more series must not move existing ones.
  for (int i = 0; i < 1000; ++i) registry.GetCounter("x_total", "x", {{"a", std::to_string(i)}});
  EXPECT_EQ(&a, &registry.GetCounter("x_total", "x", {{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(&registry.GetGauge("g", "g"), &registry.GetGauge("g", "g"));
}

TEST(Metrics, KindConflictThrows) {
  Registry registry;
  registry.GetCounter("thing", "t");
  EXPECT_THROW(registry.GetGauge("thing", "t"), std::invalid_argument);
  EXPECT_THROW(registry.GetHistogram("thing", "t", {1, 2}), std::invalid_argument);
  registry.GetHistogram("h", "h", {1, 2});
  EXPECT_THROW(registry.GetHistogram("h", "h", {1, 3}), std::invalid_argument);
  EXPECT_THROW(registry.GetCounter("h", "h"), std::invalid_argument);
}

TEST(Metrics, ValidatesNamesLabelsAndBuckets) {
  Registry registry;
  EXPECT_THROW(registry.GetCounter("", "x"), std::invalid_argument);
  EXPECT_THROW(registry.GetCounter("1abc", "x"), std::invalid_argument);
  EXPECT_THROW(registry.GetCounter("a-b", "x"), std::invalid_argument);
  EXPECT_NO_THROW(registry.GetCounter("ns:sub_total", "x"));
  EXPECT_THROW(registry.GetCounter("ok", "x", {{"bad-label", "v"}}), std::invalid_argument);
  EXPECT_THROW(registry.GetCounter("ok", "x", {{"__reserved", "v"}}), std::invalid_argument);
  EXPECT_THROW(registry.GetCounter("ok", "x", {{"a", "1"}, {"a", "2"}}), std::invalid_argument);
  EXPECT_THROW(registry.GetHistogram("hh", "x", {1}, {{"le", "1"}}), std::invalid_argument);
  EXPECT_THROW(registry.GetHistogram("hh", "x", {2, 1}), std::invalid_argument);
  EXPECT_THROW(registry.GetHistogram("hh", "x", {1, 1}), std::invalid_argument);
  // A rejected registration leaves nothing behind.
  EXPECT_EQ(RenderWithoutSelf(registry).find("hh"), std::string::npos);
  EXPECT_THROW(registry.GetCounter("c_total", "x").Inc(-1), std::invalid_argument);
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  Registry registry;
  Histogram& h = registry.GetHistogram("latency_seconds", "Latency.", {0.25, 0.5, 1}, {{"handler", "pay"}});
  // Binary fractions, so the sum is exact.
  for (double v : {0.125, 0.25, 0.375, 0.75, 2.0, 3.0}) h.Observe(v);
  EXPECT_EQ(h.Count(), 6u);
  EXPECT_EQ(h.Sum(), 6.5);
  const std::string text = RenderWithoutSelf(registry);
  EXPECT_EQ(text,
            "# HELP latency_seconds Latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{handler=\"pay\",le=\"0.25\"} 2\n"
            "latency_seconds_bucket{handler=\"pay\",le=\"0.5\"} 3\n"
            "latency_seconds_bucket{handler=\"pay\",le=\"1\"} 4\n"
            "latency_seconds_bucket{handler=\"pay\",le=\"+Inf\"} 6\n"
            "latency_seconds_sum{handler=\"pay\"} 6.5\n"
            "latency_seconds_count{handler=\"pay\"} 6\n");
}

TEST(Metrics, DefaultLatencyBucketsSpanHalfMillisecondToTenSeconds) {
  auto buckets = DefaultLatencyBuckets();
  ASSERT_FALSE(buckets.empty());
  EXPECT_DOUBLE_EQ(buckets.front(), 0.0005);
  EXPECT_DOUBLE_EQ(buckets.back(), 10);
  EXPECT_TRUE(std::is_sorted(buckets.begin(), buckets.end()));
  Registry registry;
  registry.GetHistogram("d", "d", buckets).Observe(0.0001);
  EXPECT_NE(registry.Render().find("d_bucket{le=\"0.0005\"} 1\n"), std::string::npos);
}

TEST(Metrics, CollectorsRunBeforeRenderAndFailuresAreCounted) {
  Registry registry;
  int calls = 0;
  registry.AddCollector([&] { registry.GetGauge("backlog", "b").Set(++calls); });
  registry.AddCollector([] { throw std::runtime_error("db down"); });
  registry.Render();
  const std::string text = registry.Render();
  EXPECT_EQ(calls, 2);
  EXPECT_NE(text.find("backlog 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("choreo_metrics_collector_errors_total 2\n"), std::string::npos) << text;
}

TEST(Metrics, ConcurrentIncrementsAreExact) {
  Registry registry;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 100000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&registry] {
      // Lookup races with other threads' lookups and with renders.
      Counter& counter = registry.GetCounter("hits_total", "h");
      Gauge& gauge = registry.GetGauge("level", "l");
      Histogram& histogram = registry.GetHistogram("obs", "o", {1});
      for (int i = 0; i < kPerThread; ++i) {
        counter.Inc();
        gauge.Inc();
        gauge.Dec(0.5);
        histogram.Observe(i % 2);
        if (i % 20000 == 0) registry.Render();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(registry.GetCounter("hits_total", "h").Value(), kThreads * kPerThread);
  EXPECT_EQ(registry.GetGauge("level", "l").Value(), kThreads * kPerThread * 0.5);
  EXPECT_EQ(registry.GetHistogram("obs", "o", {1}).Count(), static_cast<uint64_t>(kThreads * kPerThread));
}

TEST(Metrics, FormatsSpecialAndExtremeValues) {
  Registry registry;
  registry.GetGauge("v", "v", {{"k", "nan"}}).Set(std::numeric_limits<double>::quiet_NaN());
  registry.GetGauge("v", "v", {{"k", "pinf"}}).Set(std::numeric_limits<double>::infinity());
  registry.GetGauge("v", "v", {{"k", "ninf"}}).Set(-std::numeric_limits<double>::infinity());
  registry.GetGauge("v", "v", {{"k", "small"}}).Set(0.00001);
  registry.GetGauge("v", "v", {{"k", "neg"}}).Set(-2.5);
  const std::string text = registry.Render();
  for (const char* line : {"v{k=\"nan\"} NaN\n", "v{k=\"pinf\"} +Inf\n", "v{k=\"ninf\"} -Inf\n",
                           "v{k=\"small\"} 1e-05\n", "v{k=\"neg\"} -2.5\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << text;
  }
}

TEST(Metrics, DefaultIsProcessWide) { EXPECT_EQ(&Registry::Default(), &Registry::Default()); }

}  // namespace
}  // namespace choreo::metrics

namespace choreo::metrics {
namespace {

TEST(RegistryCollectors, RemovedCollectorNeverRunsAgain) {
  Registry registry;
  int runs = 0;
  uint64_t id = registry.AddCollector([&] { runs++; });
  registry.Render();
  EXPECT_EQ(runs, 1);
  registry.RemoveCollector(id);
  registry.Render();
  EXPECT_EQ(runs, 1);
}

}  // namespace
}  // namespace choreo::metrics
