#pragma once
// A Prometheus registry rendered in the text exposition format 0.0.4. Metric objects are
// looked up once (at start-up or per handler) and then updated lock-free on the hot path:
//   static auto& consumed = choreo::metrics::Registry::Default().GetCounter(
//       "choreo_messages_consumed_total", "Messages taken from a queue.", {{"queue", "orders"}});
//   consumed.Inc();
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace choreo::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

// Monotonic; Inc with a negative value throws std::invalid_argument, because a decreasing
// counter is read by Prometheus as a process restart and corrupts rate().
class Counter {
 public:
  void Inc(double v = 1);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Inc(double v = 1) { value_.fetch_add(v, std::memory_order_relaxed); }
  void Dec(double v = 1) { value_.fetch_add(-v, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  // `buckets`: strictly increasing finite upper bounds; +Inf is implicit.
  explicit Histogram(std::vector<double> buckets);
  void Observe(double v);
  uint64_t Count() const;
  double Sum() const { return sum_.load(std::memory_order_relaxed); }
  const std::vector<double>& Buckets() const { return bounds_; }
  // Cumulative counts, one per bound plus the +Inf bucket (whose value equals Count()).
  std::vector<uint64_t> CumulativeCounts() const;

 private:
  std::vector<double> bounds_;
  // Per-bucket (non-cumulative) counts, the last one for +Inf, so Observe touches one slot.
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
};

// 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 (seconds).
std::vector<double> DefaultLatencyBuckets();

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Process-wide; never destroyed, so metric references stay valid during static destruction.
  static Registry& Default();

  // Same name+labels -> same object (references stay valid for the registry's life); label
  // order does not matter. Same name with a different kind (or a histogram with different
  // buckets) -> std::invalid_argument, as are invalid metric names ([a-zA-Z_:][a-zA-Z0-9_:]*),
  // invalid or duplicate label names ([a-zA-Z_][a-zA-Z0-9_]*, not starting with "__"), and
  // the label "le" on a histogram. The help text of the first registration is kept.
  Counter& GetCounter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& GetGauge(std::string_view name, std::string_view help, const Labels& labels = {});
  Histogram& GetHistogram(std::string_view name, std::string_view help, const std::vector<double>& buckets,
                          const Labels& labels = {});

  // Called before every Render without the registry lock held (so a collector may register
  // or update metrics), one collection at a time (so collectors need not be thread-safe).
  // An exception thrown by a collector is swallowed and counted in
  // choreo_metrics_collector_errors_total: one failing source must not blank the scrape.
  // Returns an id for RemoveCollector.
  uint64_t AddCollector(std::function<void()> collector);
  // After this returns the collector never runs again (a collection in progress is waited
  // for), so an object that registered a collector capturing `this` calls it in its
  // destructor. Must not be called from inside a collector.
  void RemoveCollector(uint64_t id);

  // Families sorted by name, series sorted by labels.
  std::string Render();

 private:
  enum class Kind { kCounter, kGauge, kHistogram };
  struct Family {
    Kind kind;
    std::string help;
    std::vector<double> buckets;
    // Key: labels sorted by name. Values are heap-allocated so references survive rehashing.
    std::map<Labels, std::unique_ptr<Counter>> counters;
    std::map<Labels, std::unique_ptr<Gauge>> gauges;
    std::map<Labels, std::unique_ptr<Histogram>> histograms;
  };

  static const char* TypeName(Kind kind);
  Family& FamilyFor(std::string_view name, std::string_view help, Kind kind, const std::vector<double>* buckets);
  void RenderFamily(std::string& out, const std::string& name, const Family& family) const;

  std::mutex mutex_;
  std::map<std::string, Family, std::less<>> families_;
  std::mutex collect_mutex_;
  std::vector<std::pair<uint64_t, std::function<void()>>> collectors_;
  uint64_t next_collector_id_ = 1;
  Counter* collector_errors_ = nullptr;
};

}  // namespace choreo::metrics
