#pragma once
// The pure parts of the load generator (choreo-load): the order mix, the bodies it sends,
// what each kind of order is expected to end as, and latency summaries. No I/O here, so
// load_test.cpp can check it without a running system.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace choreo::load {

// What an order exercises. kDuplicate is not an order of its own: it resends an earlier
// order with the same Idempotency-Key and body and expects the same order id back.
enum class Kind {
  kOk,                    // tok_ok, stocked SKUs, served country -> CONFIRMED
  kDecline,               // tok_decline -> CANCELLED(payment_declined)
  kFlaky,                 // tok_flaky: the provider fails a few times first -> CONFIRMED
  kSlow,                  // tok_slow: a slow charge -> CONFIRMED
  kInsufficient,          // a stocked line and a sold-out one -> CANCELLED(insufficient_stock), nothing held
  kRejectedDestination,   // country AQ: captured, then refunded -> CANCELLED(shipment_rejected)
  kRare,                  // one unit of sku-rare (stock 5): CONFIRMED while stock lasts, then insufficient_stock
  kDuplicate,
};

inline constexpr Kind kAllKinds[] = {Kind::kOk,   Kind::kDecline,   Kind::kFlaky,     Kind::kSlow,
                                     Kind::kInsufficient, Kind::kRejectedDestination, Kind::kRare,
                                     Kind::kDuplicate};

std::string_view KindName(Kind kind);
// Throws std::invalid_argument for an unknown name.
Kind ParseKind(std::string_view name);

struct MixEntry {
  Kind kind;
  int weight;
};

// "ok=80,decline=5,duplicate=2" -> entries with weight > 0. Throws std::invalid_argument
// for an unknown kind, a weight that is not a non-negative integer, a kind given twice,
// or a mix whose weights add up to 0.
std::vector<MixEntry> ParseMix(std::string_view text);
std::string FormatMix(const std::vector<MixEntry>& mix);

// Draws a kind with probability weight / total weight.
Kind PickKind(const std::vector<MixEntry>& mix, std::mt19937_64& rng);

// The POST /orders body of a new order of `kind` (not kDuplicate).
nlohmann::json OrderBody(Kind kind, std::mt19937_64& rng, std::uint64_t index);

// "CONFIRMED" or "CANCELLED:<reason>" outcomes an order of `kind` may end in when the
// system works. Several for kRare, whose outcome depends on what stock is left.
std::vector<std::string> ExpectedOutcomes(Kind kind);
bool IsExpected(Kind kind, const std::string& outcome);

struct LatencySummary {
  std::size_t count = 0;
  double p50 = 0, p90 = 0, p99 = 0, max = 0, mean = 0;
};
// Nearest-rank percentiles of `values_ms` (any order).
LatencySummary Summarize(std::vector<double> values_ms);
nlohmann::json ToJson(const LatencySummary& summary);
std::string Format(const LatencySummary& summary);

// "http://127.0.0.1:8080" -> host and port. Only loopback targets are accepted: the load
// generator must never send traffic anywhere else. Throws std::invalid_argument.
struct Target {
  std::string host;
  std::uint16_t port = 80;
};
Target ParseTarget(std::string_view url);
// A comma-separated list of such URLs (at least one; at most 64).
std::vector<Target> ParseTargets(std::string_view urls);

}  // namespace choreo::load
