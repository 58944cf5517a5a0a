#pragma once
// W3C Trace Context (https://www.w3.org/TR/trace-context/) as choreo carries it: the
// `traceparent` of a message names the trace and the span that sent it. The gateway
// continues a client's trace (or starts one); the outbox stores the header with the row; a
// handler runs as a child span of the message it handles and sends what it emits as that
// span. Retry copies, dead letters and replays keep the header, so one order's messages
// stay one trace whatever happens to them.
//
//   traceparent: 00-<32 hex trace id>-<16 hex parent span id>-<2 hex flags>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace choreo::contracts {

inline constexpr std::string_view kTraceparentHeader = "traceparent";
// On a dead-letter copy: the span of the handling that gave up on the message. A replay
// keeps it, so the handling of the replayed copy links to the failure it repairs.
inline constexpr std::string_view kFailedSpanHeader = "x-choreo-failed-span-id";

struct TraceContext {
  std::string trace_id;  // 32 lower-case hex digits, not all zero
  std::string span_id;   // 16 lower-case hex digits, not all zero: the sending span
  std::uint8_t flags = 1;  // bit 0: sampled

  bool operator==(const TraceContext&) const = default;
};

// nullopt for anything that is not a valid version-00 traceparent (or a later version's
// first four fields, as the specification asks), including all-zero ids. Upper-case hex
// is invalid there, and so here.
std::optional<TraceContext> ParseTraceparent(std::string_view text);
std::string FormatTraceparent(const TraceContext& context);
// 16 lower-case hex digits, not all zero.
bool IsSpanId(std::string_view text);

std::string NewTraceId();
std::string NewSpanId();

// A span of its own in the trace of `parent` (a new trace when there is none).
TraceContext ChildOf(const std::optional<TraceContext>& parent);

}  // namespace choreo::contracts
