#pragma once
// What the session_*.cpp files share: deadline arithmetic, error context, and the two
// templates that turn a lost connection into a retry or an exception.
#include <algorithm>
#include <chrono>
#include <optional>
#include <string>

#include "session.hpp"

namespace choreo::amqp::detail {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

inline milliseconds Until(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
  return std::max(left, milliseconds(0));
}

inline std::string Context(const char* what, const std::string& name) {
  return std::string(what) + " '" + name + "'";
}

// Runs `op`; a lost connection is torn down and reported by returning false when the
// reconnect policy absorbs it, so the caller decides whether repeating `op` is safe.
template <class F>
bool Session::Attempt(F&& op) {
  try {
    op();
    return true;
  } catch (const ChannelClosedError& e) {
    RecoverChannel(e);
    throw;
  } catch (const ServerClosedError& e) {
    LoseConnection(e.ReplyCode(), e.what());
    if (!options_.reconnect.enabled || !e.Retryable()) throw;
  } catch (const ConnectionError& e) {
    LoseConnection(0, e.what());
    if (!options_.reconnect.enabled) throw;
  }
  return false;
}

// For idempotent requests: repeated on a fresh connection after a loss.
template <class F>
auto Session::Rpc(F&& op) -> decltype(op()) {
  for (;;) {
    EnsureOpen();
    std::optional<decltype(op())> result;
    if (Attempt([&] { result.emplace(op()); })) {
      amqp_maybe_release_buffers(conn_);
      return std::move(*result);
    }
  }
}

}  // namespace choreo::amqp::detail
