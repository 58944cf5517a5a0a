#pragma once
// What the console selects in one dead-letter queue (a failure group, or one message) and
// the rule for replaying it. Pure: no I/O, so the rules are unit-tested.
//
// The confirmation rule lives here, on the server: a replay request replays only when its
// JSON body says "confirm": true (the JSON value true, nothing that merely looks like it).
// Without it the answer is the count that would be replayed (409), so a page, a script or
// a mistaken curl can never replay on the first request.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "choreo/admin/admin.hpp"

namespace choreo::admin::console {

struct Selection {
  std::optional<std::string> error_class;    // exact
  std::optional<std::string> error_message;  // exact, the whole message
  std::optional<std::string> message_id;

  bool Empty() const { return !error_class && !error_message && !message_id; }
  // The library filter (admin.hpp) that selects exactly this.
  Filter ToFilter() const;
  // As query parameters (error_class, error_message, message_id), for links.
  std::vector<std::pair<std::string, std::string>> QueryPairs() const;
  // {"error_class": ..., ...}: the members that are set.
  nlohmann::json Json() const;
  // "error class permanent, message \"...\"" / "message m-1" / "every message", for pages.
  std::string Describe() const;
};

// The selection of a failure group.
Selection GroupSelection(const ErrorGroup& group);

// From query parameters: `query(name)` returns a parameter's decoded value. Empty values
// select nothing (they are treated as absent), except error_message: a group may have an
// empty message, so error_message="" selects it when error_class is given too.
Selection SelectionFromQuery(const std::function<std::optional<std::string>(std::string_view)>& query);

struct ReplayRequest {
  Selection selection;
  bool confirm = false;
};

// The body of POST /api/dlq/{queue}/replay: a JSON object with optional string members
// error_class, error_message, message_id and an optional boolean confirm. Any other
// member, type or document is refused: the returned string says why.
std::variant<ReplayRequest, std::string> ParseReplayRequest(std::string_view body);

enum class ReplayStep {
  kAskConfirmation,  // answer what would be replayed; replay nothing
  kReplay,
};
ReplayStep NextStep(const ReplayRequest& request);

}  // namespace choreo::admin::console
