#include "choreo/log/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <stdexcept>

namespace choreo::log {

namespace {

std::mutex g_mutex;
std::string g_component = "choreo";
std::atomic<int> g_level{static_cast<int>(Level::kInfo)};

// The fields of this thread's open ScopedFields, merged (an object, or null when none).
thread_local nlohmann::json t_scoped;

const char* Name(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

std::string NowUtc() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

}  // namespace

void SetComponent(std::string component) {
  std::lock_guard lock(g_mutex);
  g_component = std::move(component);
}

void SetLevel(Level level) { g_level = static_cast<int>(level); }

Level ParseLevel(std::string_view text) {
  if (text == "debug") return Level::kDebug;
  if (text == "info") return Level::kInfo;
  if (text == "warn") return Level::kWarn;
  if (text == "error") return Level::kError;
  throw std::invalid_argument("log level must be debug, info, warn or error, not '" + std::string(text) + "'");
}

std::string Format(Level level, std::string_view message, const nlohmann::json& fields) {
  nlohmann::json line = nlohmann::json::object();
  line["ts"] = NowUtc();
  line["level"] = Name(level);
  {
    std::lock_guard lock(g_mutex);
    line["component"] = g_component;
  }
  line["msg"] = std::string(message);
  for (const nlohmann::json* source : std::initializer_list<const nlohmann::json*>{&fields, &t_scoped}) {
    if (!source->is_object()) continue;
    for (auto it = source->begin(); it != source->end(); ++it) {
      if (!line.contains(it.key())) line[it.key()] = it.value();
    }
  }
  // Replace invalid UTF-8 instead of throwing: a log line must never take a process down.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

ScopedFields::ScopedFields(nlohmann::json fields) : saved_(t_scoped) {
  if (!fields.is_object()) return;
  if (!t_scoped.is_object()) t_scoped = nlohmann::json::object();
  for (auto it = fields.begin(); it != fields.end(); ++it) t_scoped[it.key()] = std::move(it.value());
}

ScopedFields::~ScopedFields() { t_scoped = std::move(saved_); }

void Write(Level level, std::string_view message, const nlohmann::json& fields) {
  if (static_cast<int>(level) < g_level.load()) return;
  try {
    std::string text = Format(level, message, fields);
    text.push_back('\n');
    std::lock_guard lock(g_mutex);
    std::fwrite(text.data(), 1, text.size(), stderr);
  } catch (...) {
    // Logging is best effort.
  }
}

}  // namespace choreo::log
