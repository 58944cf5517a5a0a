#pragma once
// Headers the worker runtime writes on every message it dead-letters or retries, and that
// choreo-admin reads, filters on and replays by. The runtime publishes the dead letter
// itself (with confirm) before acking the original, because the broker's own
// dead-lettering cannot add headers saying why.
#include <string_view>

namespace choreo::contracts::dead_letter {

// Why the message failed.
inline constexpr std::string_view kErrorClass = "x-choreo-error-class";      // see the k*Error values
inline constexpr std::string_view kErrorMessage = "x-choreo-error-message";  // human-readable, <= 1000 chars
inline constexpr std::string_view kWorker = "x-choreo-worker";               // the consuming component
// Where the message was originally published: replay sends it back there.
inline constexpr std::string_view kOriginalExchange = "x-choreo-original-exchange";
inline constexpr std::string_view kOriginalRoutingKey = "x-choreo-original-routing-key";
inline constexpr std::string_view kOriginalQueue = "x-choreo-original-queue";  // the work queue
inline constexpr std::string_view kAttempts = "x-choreo-attempts";             // int: handler runs so far
// On a retry copy only: the 1-based number of the run it is for. The runtime counts
// attempts with this header alone. x-death is informative: RabbitMQ 3.13+ ignores an
// x-death a client sets, and a retry copy is republished by the client, so counting
// x-death would never pass 2 there and a failing message would retry forever. A dead
// letter does not carry it, so a replayed message starts again at attempt 1.
inline constexpr std::string_view kAttempt = "x-choreo-attempt";
inline constexpr std::string_view kDeadLetteredAt = "x-choreo-dead-lettered-at";  // RFC 3339 UTC
// Written by `choreo-admin dlq replay` on the republished copy.
inline constexpr std::string_view kReplayCount = "x-choreo-replay-count";  // int
inline constexpr std::string_view kReplayedAt = "x-choreo-replayed-at";    // RFC 3339 UTC
inline constexpr std::string_view kReplayedBy = "x-choreo-replayed-by";    // user@host

// Values of kErrorClass.
inline constexpr std::string_view kPermanentError = "permanent";    // a domain rule that can never succeed
inline constexpr std::string_view kContractError = "contract_violation";  // not JSON, schema, unknown version
inline constexpr std::string_view kLimitExceeded = "limit_exceeded";  // body over the byte or depth limit: unparsed
inline constexpr std::string_view kTransientExhausted = "transient_exhausted";  // retries used up
inline constexpr std::string_view kUnknownEvent = "unknown_event";  // no handler for this type
inline constexpr std::string_view kUnexpectedError = "unexpected";  // any other exception, after retries

}  // namespace choreo::contracts::dead_letter
