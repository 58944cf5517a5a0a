#include "choreo/metrics/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace choreo::metrics {

namespace {

bool IsNameChar(char c, bool first, bool allow_colon) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  if (allow_colon && c == ':') return true;
  return !first && c >= '0' && c <= '9';
}

bool IsValidName(std::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!IsNameChar(name[i], i == 0, allow_colon)) return false;
  }
  return true;
}

// Colons are reserved for recording rules in label names, and "__" for Prometheus itself.
Labels Normalize(std::string_view metric, const Labels& labels, bool histogram) {
  Labels sorted = labels;
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    const std::string& label = sorted[i].first;
    const auto fail = [&](const char* why) {
      throw std::invalid_argument("choreo::metrics: " + std::string(metric) + ": label '" + label + "' " + why);
    };
    if (!IsValidName(label, false)) fail("is not a valid label name");
    if (label.starts_with("__")) fail("is reserved (starts with \"__\")");
    if (histogram && label == "le") fail("is reserved for histogram buckets");
    if (i > 0 && sorted[i - 1].first == label) fail("is given twice");
  }
  return sorted;
}

std::string FormatDouble(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Shortest round-trip digits in %g style, as the reference Go client writes them, so le
  // labels read "0.0005" rather than "5e-04" and match what dashboards query for.
  char buf[32];
  auto result = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general);
  return std::string(buf, result.ptr);
}

void AppendEscaped(std::string& out, std::string_view text, bool escape_quote) {
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && escape_quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

// `name{a="x",b="y"[,le="..."]} value\n`
void AppendSample(std::string& out, std::string_view name, const Labels& labels, const std::string* le,
                  const std::string& value) {
  out += name;
  if (!labels.empty() || le != nullptr) {
    out += '{';
    bool first = true;
    for (const auto& [key, val] : labels) {
      if (!first) out += ',';
      first = false;
      out += key;
      out += "=\"";
      AppendEscaped(out, val, true);
      out += '"';
    }
    if (le != nullptr) {
      if (!first) out += ',';
      out += "le=\"";
      out += *le;
      out += '"';
    }
    out += '}';
  }
  out += ' ';
  out += value;
  out += '\n';
}

// The metric under `key` in one of a family's maps, made the first time it is asked for.
template <class Metric>
Metric& SlotIn(std::map<Labels, std::unique_ptr<Metric>>& metrics, Labels key) {
  auto& slot = metrics[std::move(key)];
  if (!slot) slot = std::make_unique<Metric>();
  return *slot;
}

}  // namespace

void Counter::Inc(double v) {
  if (!(v >= 0)) throw std::invalid_argument("choreo::metrics: a counter can only increase");
  value_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Histogram(std::vector<double> buckets) : bounds_(std::move(buckets)) {
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    if (!std::isfinite(bounds_[i])) throw std::invalid_argument("choreo::metrics: histogram bucket bounds must be finite");
    if (i > 0 && !(bounds_[i - 1] < bounds_[i])) {
      throw std::invalid_argument("choreo::metrics: histogram bucket bounds must be strictly increasing");
    }
  }
  counts_ = std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1);
}

void Histogram::Observe(double v) {
  // A NaN would poison _sum for the life of the process.
  if (std::isnan(v)) return;
  // Bucket semantics are "less than or equal", hence lower_bound.
  const auto index = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  counts_[index].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

uint64_t Histogram::Count() const {
  uint64_t total = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) total += counts_[i].load(std::memory_order_relaxed);
  return total;
}

std::vector<uint64_t> Histogram::CumulativeCounts() const {
  // Deriving _count from the same snapshot keeps the +Inf bucket and _count equal, which
  // Prometheus requires, even while other threads observe.
  std::vector<uint64_t> out(bounds_.size() + 1);
  uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    out[i] = running;
  }
  return out;
}

std::vector<double> DefaultLatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

const char* Registry::TypeName(Kind kind) {
  switch (kind) {
    case Kind::kCounter: return "counter";
    case Kind::kGauge: return "gauge";
    case Kind::kHistogram: return "histogram";
  }
  return "untyped";
}

Registry::Registry() {
  collector_errors_ = &GetCounter("choreo_metrics_collector_errors_total",
                                  "Exceptions thrown by metric collectors before a scrape.");
}

Registry::~Registry() = default;

Registry& Registry::Default() {
  static Registry* registry = new Registry();
  return *registry;
}

Registry::Family& Registry::FamilyFor(std::string_view name, std::string_view help, Kind kind,
                                      const std::vector<double>* buckets) {
  if (!IsValidName(name, true)) {
    throw std::invalid_argument("choreo::metrics: '" + std::string(name) + "' is not a valid metric name");
  }
  auto it = families_.find(name);
  if (it == families_.end()) {
    Family family{kind, std::string(help), {}, {}, {}, {}};
    if (buckets != nullptr) family.buckets = *buckets;
    it = families_.emplace(std::string(name), std::move(family)).first;
    return it->second;
  }
  Family& family = it->second;
  if (family.kind != kind) {
    throw std::invalid_argument("choreo::metrics: '" + std::string(name) + "' is already registered as a " +
                                TypeName(family.kind) + ", not a " +
                                TypeName(kind));
  }
  if (buckets != nullptr && family.buckets != *buckets) {
    throw std::invalid_argument("choreo::metrics: '" + std::string(name) +
                                "' is already registered with different buckets");
  }
  return family;
}

Counter& Registry::GetCounter(std::string_view name, std::string_view help, const Labels& labels) {
  Labels key = Normalize(name, labels, false);
  std::lock_guard lock(mutex_);
  return SlotIn(FamilyFor(name, help, Kind::kCounter, nullptr).counters, std::move(key));
}

Gauge& Registry::GetGauge(std::string_view name, std::string_view help, const Labels& labels) {
  Labels key = Normalize(name, labels, false);
  std::lock_guard lock(mutex_);
  return SlotIn(FamilyFor(name, help, Kind::kGauge, nullptr).gauges, std::move(key));
}

Histogram& Registry::GetHistogram(std::string_view name, std::string_view help, const std::vector<double>& buckets,
                                  const Labels& labels) {
  Labels key = Normalize(name, labels, true);
  // Validates the bounds before anything is registered under the name.
  auto fresh = std::make_unique<Histogram>(buckets);
  std::lock_guard lock(mutex_);
  auto& slot = FamilyFor(name, help, Kind::kHistogram, &buckets).histograms[std::move(key)];
  if (!slot) slot = std::move(fresh);
  return *slot;
}

uint64_t Registry::AddCollector(std::function<void()> collector) {
  if (!collector) throw std::invalid_argument("choreo::metrics: empty collector");
  std::lock_guard lock(mutex_);
  const uint64_t id = next_collector_id_++;
  collectors_.emplace_back(id, std::move(collector));
  return id;
}

void Registry::RemoveCollector(uint64_t id) {
  std::lock_guard collect(collect_mutex_);  // waits for a running collection
  std::lock_guard lock(mutex_);
  std::erase_if(collectors_, [id](const auto& entry) { return entry.first == id; });
}

void Registry::RenderFamily(std::string& out, const std::string& name, const Family& family) const {
  out += "# HELP ";
  out += name;
  out += ' ';
  AppendEscaped(out, family.help, false);
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += TypeName(family.kind);
  out += '\n';
  for (const auto& [labels, counter] : family.counters) AppendSample(out, name, labels, nullptr, FormatDouble(counter->Value()));
  for (const auto& [labels, gauge] : family.gauges) AppendSample(out, name, labels, nullptr, FormatDouble(gauge->Value()));
  for (const auto& [labels, histogram] : family.histograms) {
    const std::vector<uint64_t> cumulative = histogram->CumulativeCounts();
    const std::string bucket_name = name + "_bucket";
    for (std::size_t i = 0; i < cumulative.size(); ++i) {
      const std::string le = i < family.buckets.size() ? FormatDouble(family.buckets[i]) : "+Inf";
      AppendSample(out, bucket_name, labels, &le, std::to_string(cumulative[i]));
    }
    AppendSample(out, name + "_sum", labels, nullptr, FormatDouble(histogram->Sum()));
    AppendSample(out, name + "_count", labels, nullptr, std::to_string(cumulative.back()));
  }
}

std::string Registry::Render() {
  {
    std::lock_guard collect(collect_mutex_);
    std::vector<std::pair<uint64_t, std::function<void()>>> collectors;
    {
      std::lock_guard lock(mutex_);
      collectors = collectors_;
    }
    for (const auto& [id, collector] : collectors) {
      try {
        collector();
      } catch (...) {
        collector_errors_->Inc();
      }
    }
  }
  std::string out;
  std::lock_guard lock(mutex_);
  for (const auto& [name, family] : families_) RenderFamily(out, name, family);
  return out;
}

}  // namespace choreo::metrics
