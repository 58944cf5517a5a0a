#include "choreo/contracts/trace.hpp"

#include <cstdio>

#include "choreo/contracts/envelope.hpp"

namespace choreo::contracts {

namespace {

bool IsLowerHex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool AllZero(std::string_view text) { return text.find_first_not_of('0') == std::string_view::npos; }

std::string Hex64(std::uint64_t word) {
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(word));
  return buffer;
}

// A random non-zero word (zero ids are invalid).
std::uint64_t NonZeroWord() {
  for (;;) {
    if (const std::uint64_t w = detail::RandomWord(); w != 0) return w;
  }
}

}  // namespace

std::optional<TraceContext> ParseTraceparent(std::string_view text) {
  // version "-" trace-id "-" parent-id "-" flags: 2+1+32+1+16+1+2 = 55 characters. A
  // later version may append fields after a '-'; version ff is forbidden.
  if (text.size() < 55 || (text.size() > 55 && text[55] != '-')) return std::nullopt;
  const std::string_view version = text.substr(0, 2), trace = text.substr(3, 32), span = text.substr(36, 16),
                         flags = text.substr(53, 2);
  if (text[2] != '-' || text[35] != '-' || text[52] != '-') return std::nullopt;
  if (!IsLowerHex(version) || !IsLowerHex(trace) || !IsLowerHex(span) || !IsLowerHex(flags)) return std::nullopt;
  if (version == "ff" || (version == "00" && text.size() != 55)) return std::nullopt;
  if (AllZero(trace) || !IsSpanId(span)) return std::nullopt;
  return TraceContext{std::string(trace), std::string(span),
                      static_cast<std::uint8_t>(std::stoi(std::string(flags), nullptr, 16))};
}

bool IsSpanId(std::string_view text) { return text.size() == 16 && IsLowerHex(text) && !AllZero(text); }

std::string FormatTraceparent(const TraceContext& context) {
  char flags[3];
  std::snprintf(flags, sizeof flags, "%02x", static_cast<unsigned>(context.flags));
  return "00-" + context.trace_id + "-" + context.span_id + "-" + flags;
}

std::string NewTraceId() { return Hex64(NonZeroWord()) + Hex64(detail::RandomWord()); }

std::string NewSpanId() { return Hex64(NonZeroWord()); }

TraceContext ChildOf(const std::optional<TraceContext>& parent) {
  if (!parent) return TraceContext{NewTraceId(), NewSpanId(), 1};
  return TraceContext{parent->trace_id, NewSpanId(), parent->flags};
}

}  // namespace choreo::contracts
