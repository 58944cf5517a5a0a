#pragma once
// Structured logging: every line is one JSON object, so a log can be filtered by
// correlation id (the order id), message id or causation id with ordinary tools:
//   {"ts":"2026-11-21T17:50:01.123Z","level":"info","component":"relay","msg":"published",
//    "count":256}
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace choreo::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Process-wide settings; call once at start-up. The component names the process
// ("order-worker") in every line.
void SetComponent(std::string component);
void SetLevel(Level level);
// Parses "debug" | "info" | "warn" | "error"; throws std::invalid_argument otherwise.
Level ParseLevel(std::string_view text);

// Formats one line (without the trailing newline). Exposed for tests.
std::string Format(Level level, std::string_view message, const nlohmann::json& fields);

// Fields every line written on this thread carries while the scope lives: the runtime
// opens one around the handling of a message (its trace_id, span_id, message and
// correlation ids), so whatever a handler logs is tied to the message and its trace
// without the handler passing them. Scopes nest; an inner field of the same name wins,
// and a line's own fields win over both.
class ScopedFields {
 public:
  explicit ScopedFields(nlohmann::json fields);
  ~ScopedFields();
  ScopedFields(const ScopedFields&) = delete;
  ScopedFields& operator=(const ScopedFields&) = delete;

 private:
  nlohmann::json saved_;
};

// Writes one line to stderr; safe from any thread, never throws.
void Write(Level level, std::string_view message, const nlohmann::json& fields = nlohmann::json::object());

inline void Debug(std::string_view m, const nlohmann::json& f = nlohmann::json::object()) { Write(Level::kDebug, m, f); }
inline void Info(std::string_view m, const nlohmann::json& f = nlohmann::json::object()) { Write(Level::kInfo, m, f); }
inline void Warn(std::string_view m, const nlohmann::json& f = nlohmann::json::object()) { Write(Level::kWarn, m, f); }
inline void Error(std::string_view m, const nlohmann::json& f = nlohmann::json::object()) { Write(Level::kError, m, f); }

}  // namespace choreo::log
