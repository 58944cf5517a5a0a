#include "load.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <stdexcept>

namespace choreo::load {

namespace {

struct KindInfo {
  Kind kind;
  std::string_view name;
};

constexpr KindInfo kKindNames[] = {
    {Kind::kOk, "ok"},
    {Kind::kDecline, "decline"},
    {Kind::kFlaky, "flaky"},
    {Kind::kSlow, "slow"},
    {Kind::kInsufficient, "insufficient"},
    {Kind::kRejectedDestination, "rejected_destination"},
    {Kind::kRare, "rare"},
    {Kind::kDuplicate, "duplicate"},
};

// Served by shipping's default country list (kDefaultCountries); AQ is not.
constexpr const char* kCountries[] = {"DE", "FR", "NL", "IT", "ES", "SE", "GB", "US"};
constexpr const char* kCities[] = {"Berlin", "Paris", "Amsterdam", "Rome", "Madrid", "Stockholm", "London", "Boston"};

std::string_view Trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

std::string StockedSku(std::mt19937_64& rng) {
  const int n = static_cast<int>(std::uniform_int_distribution<int>(1, 10)(rng));
  char sku[16];
  std::snprintf(sku, sizeof sku, "sku-%03d", n);
  return sku;
}

}  // namespace

std::string_view KindName(Kind kind) {
  for (const auto& info : kKindNames) {
    if (info.kind == kind) return info.name;
  }
  return "?";
}

Kind ParseKind(std::string_view name) {
  for (const auto& info : kKindNames) {
    if (info.name == name) return info.kind;
  }
  std::string known;
  for (const auto& info : kKindNames) known += (known.empty() ? "" : ", ") + std::string(info.name);
  throw std::invalid_argument("unknown order kind '" + std::string(name) + "' (known: " + known + ")");
}

std::vector<MixEntry> ParseMix(std::string_view text) {
  std::vector<MixEntry> mix;
  int total = 0;
  std::vector<Kind> seen;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    std::string_view item = Trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (item.empty()) continue;
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      throw std::invalid_argument("mix entry '" + std::string(item) + "' is not kind=weight");
    }
    const Kind kind = ParseKind(Trim(item.substr(0, eq)));
    if (std::find(seen.begin(), seen.end(), kind) != seen.end()) {
      throw std::invalid_argument("mix names '" + std::string(KindName(kind)) + "' twice");
    }
    seen.push_back(kind);
    const std::string_view number = Trim(item.substr(eq + 1));
    int weight = -1;
    const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), weight);
    if (error != std::errc() || end != number.data() + number.size() || weight < 0 || weight > 1'000'000) {
      throw std::invalid_argument("weight of '" + std::string(KindName(kind)) + "' must be an integer from 0 to 1000000");
    }
    if (weight > 0) mix.push_back({kind, weight});
    total += weight;
  }
  if (total == 0) throw std::invalid_argument("the mix has no kind with a weight above 0");
  if (std::all_of(mix.begin(), mix.end(), [](const MixEntry& e) { return e.kind == Kind::kDuplicate; })) {
    throw std::invalid_argument("a mix of duplicates only has nothing to duplicate");
  }
  return mix;
}

std::string FormatMix(const std::vector<MixEntry>& mix) {
  std::string out;
  for (const auto& e : mix) out += (out.empty() ? "" : ",") + std::string(KindName(e.kind)) + "=" + std::to_string(e.weight);
  return out;
}

Kind PickKind(const std::vector<MixEntry>& mix, std::mt19937_64& rng) {
  const int total = std::accumulate(mix.begin(), mix.end(), 0, [](int sum, const MixEntry& e) { return sum + e.weight; });
  int draw = std::uniform_int_distribution<int>(0, total - 1)(rng);
  for (const auto& e : mix) {
    if (draw < e.weight) return e.kind;
    draw -= e.weight;
  }
  return mix.back().kind;
}

nlohmann::json OrderBody(Kind kind, std::mt19937_64& rng, std::uint64_t index) {
  if (kind == Kind::kDuplicate) throw std::invalid_argument("a duplicate resends an earlier body");
  const std::size_t place = std::uniform_int_distribution<std::size_t>(0, std::size(kCountries) - 1)(rng);
  std::string token = "tok_ok";
  std::string country = kCountries[place];
  nlohmann::json lines = nlohmann::json::array();
  const int quantity = std::uniform_int_distribution<int>(1, 3)(rng);
  lines.push_back({{"sku", StockedSku(rng)}, {"quantity", quantity}});
  switch (kind) {
    case Kind::kOk: break;
    case Kind::kDecline: token = "tok_decline"; break;
    case Kind::kFlaky: token = "tok_flaky"; break;
    case Kind::kSlow: token = "tok_slow"; break;
    case Kind::kInsufficient:
      // All or nothing: the stocked line must not stay reserved when sku-out is refused.
      lines.push_back({{"sku", "sku-out"}, {"quantity", 1}});
      break;
    case Kind::kRejectedDestination: country = "AQ"; break;
    case Kind::kRare: lines = nlohmann::json::array({{{"sku", "sku-rare"}, {"quantity", 1}}}); break;
    case Kind::kDuplicate: break;
  }
  return {{"customer_id", "load-" + std::to_string(index % 997)},
          {"lines", std::move(lines)},
          {"payment", {{"method", "card"}, {"token", token}}},
          {"shipping_address",
           {{"name", "Load Tester " + std::to_string(index)},
            {"line1", std::to_string(1 + index % 200) + " Main St"},
            {"city", country == "AQ" ? "McMurdo" : kCities[place]},
            {"postal_code", "10115"},
            {"country", country}}}};
}

std::vector<std::string> ExpectedOutcomes(Kind kind) {
  switch (kind) {
    case Kind::kOk:
    case Kind::kFlaky:
    case Kind::kSlow: return {"CONFIRMED"};
    case Kind::kDecline: return {"CANCELLED:payment_declined"};
    case Kind::kInsufficient: return {"CANCELLED:insufficient_stock"};
    case Kind::kRejectedDestination: return {"CANCELLED:shipment_rejected"};
    case Kind::kRare: return {"CONFIRMED", "CANCELLED:insufficient_stock"};
    case Kind::kDuplicate: return {};
  }
  return {};
}

bool IsExpected(Kind kind, const std::string& outcome) {
  const auto expected = ExpectedOutcomes(kind);
  return std::find(expected.begin(), expected.end(), outcome) != expected.end();
}

LatencySummary Summarize(std::vector<double> values_ms) {
  LatencySummary s;
  s.count = values_ms.size();
  if (values_ms.empty()) return s;
  std::sort(values_ms.begin(), values_ms.end());
  auto rank = [&](double p) {
    // Nearest rank: the smallest value with at least p of the values at or below it.
    std::size_t i = static_cast<std::size_t>(std::ceil(p * static_cast<double>(values_ms.size())));
    return values_ms[std::clamp<std::size_t>(i, 1, values_ms.size()) - 1];
  };
  s.p50 = rank(0.50);
  s.p90 = rank(0.90);
  s.p99 = rank(0.99);
  s.max = values_ms.back();
  s.mean = std::accumulate(values_ms.begin(), values_ms.end(), 0.0) / static_cast<double>(values_ms.size());
  return s;
}

nlohmann::json ToJson(const LatencySummary& s) {
  auto round = [](double v) { return std::round(v * 10.0) / 10.0; };
  return {{"count", s.count}, {"p50_ms", round(s.p50)}, {"p90_ms", round(s.p90)},
          {"p99_ms", round(s.p99)}, {"max_ms", round(s.max)}, {"mean_ms", round(s.mean)}};
}

std::string Format(const LatencySummary& s) {
  if (s.count == 0) return "(no samples)";
  char text[160];
  std::snprintf(text, sizeof text, "p50 %.1f  p90 %.1f  p99 %.1f  max %.1f  (n=%zu)", s.p50, s.p90, s.p99, s.max,
                s.count);
  return text;
}

Target ParseTarget(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    throw std::invalid_argument("--url must start with http:// (got '" + std::string(url) + "')");
  }
  std::string_view rest = url.substr(kScheme.size());
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    if (rest.substr(slash) != "/") throw std::invalid_argument("--url takes no path (got '" + std::string(url) + "')");
    rest = rest.substr(0, slash);
  }
  Target target;
  std::string_view port_text;
  if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    target.host = std::string(rest.substr(0, colon));
    port_text = rest.substr(colon + 1);
  } else {
    target.host = std::string(rest);
  }
  if (target.host == "localhost") target.host = "127.0.0.1";
  if (target.host != "127.0.0.1") {
    throw std::invalid_argument("--url must point at 127.0.0.1 (the load generator sends to this machine only), got '" +
                                std::string(url) + "'");
  }
  if (!port_text.empty()) {
    unsigned port = 0;
    const auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (error != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535) {
      throw std::invalid_argument("--url has a bad port '" + std::string(port_text) + "'");
    }
    target.port = static_cast<std::uint16_t>(port);
  }
  return target;
}

std::vector<Target> ParseTargets(std::string_view urls) {
  std::vector<Target> out;
  while (true) {
    const auto comma = urls.find(',');
    std::string_view item = urls.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) throw std::invalid_argument("--url has an empty entry");
    out.push_back(ParseTarget(item));
    if (out.size() > 64) throw std::invalid_argument("--url names more than 64 gateways");
    if (comma == std::string_view::npos) return out;
    urls.remove_prefix(comma + 1);
  }
}

}  // namespace choreo::load
