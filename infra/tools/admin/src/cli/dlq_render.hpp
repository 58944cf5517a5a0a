#pragma once
// How dead letters and what happened to them look, as text and as JSON.
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "choreo/admin/admin.hpp"

namespace choreo::admin::cli {

inline constexpr std::size_t kBodyPreviewChars = 600;

// "orders / order.placed", "(default exchange) / order"
std::string Destination(const std::string& exchange, const std::string& routing_key);

// Pretty JSON when the body is JSON (*is_json true), otherwise the text with control
// bytes escaped as \xNN.
std::string RenderBody(const std::string& body, bool* is_json);

// One queue of `dlq list`, one failure group of `dlq show --group-by error` (and of the
// console's API).
nlohmann::json QueueJson(const QueueSummary& queue);
nlohmann::json GroupJson(const ErrorGroup& group);

// One message of `dlq show`: its fields, replay history and body (cut unless `full`).
void PrintLetter(std::ostream& out, std::size_t index, const DeadLetter& letter, bool full);
nlohmann::json LetterJson(const DeadLetter& letter, bool full);

nlohmann::json OutcomeJson(const MessageOutcome& outcome);

// What `dlq replay --json` prints (and the console's replay answers): the pass, its counts
// and its messages; `filter` as Filter::Describe says it.
nlohmann::json ReplayJson(const ReplayReport& report, const std::string& filter);

// What replay and purge both report as JSON: the queue, the pass and its messages; the
// count is named `done_key` ("replayed"), or `would_key` ("would_replay") in a dry run.
struct PassSummary {
  std::string queue;
  bool dry_run = false;
  std::uint32_t depth = 0;
  std::size_t examined = 0;
  std::string done_key;
  std::string would_key;
  std::size_t done = 0;
  std::string filter;
  std::string error;
  const std::vector<MessageOutcome>* messages = nullptr;
};
// The fields of `pass` in `j` (which may hold others already); "messages" last.
void AddPassJson(nlohmann::json& j, const PassSummary& pass);

}  // namespace choreo::admin::cli
