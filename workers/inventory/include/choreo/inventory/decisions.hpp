#pragma once
// Inventory's decisions as pure functions of the current state and the incoming event, so
// every branch (including late, repeated and out-of-order events) is unit-tested without
// a store or a broker. The handlers (inventory.hpp) only load state, call these and apply
// the result.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "choreo/contracts/common_types.hpp"
#include "choreo/contracts/inventory_events.hpp"

namespace choreo::inventory {

// One SKU as order.placed sees it: its price and what is left to sell.
struct StockLevel {
  std::int64_t unit_price_minor = 0;
  std::string currency;
  std::int64_t available = 0;
};

// Quantities per SKU with repeated SKUs summed. Sorted by SKU, which is also the order in
// which rows are locked (one order for everyone means no deadlocks between replicas).
// Throws std::invalid_argument for a non-positive quantity.
std::map<std::string, std::int64_t> QuantitiesBySku(const std::vector<contracts::OrderLine>& lines);

struct Hold {
  std::vector<contracts::PricedLine> lines;  // the order's lines, priced
  std::int64_t total_minor = 0;
  std::string currency;
  std::map<std::string, std::int64_t> quantities;  // what to move from available to reserved
};

struct Rejection {
  contracts::RejectionReason reason = contracts::RejectionReason::kInsufficientStock;
  std::vector<std::string> skus;  // the offending SKUs, sorted
  std::string details;
};

using ReservationDecision = std::variant<Hold, Rejection>;

// All lines or nothing. `stock` holds the SKUs the catalog knows (others are unknown).
// Unknown SKUs win over shortages: they can never succeed, a shortage might on another
// day. Throws std::invalid_argument for empty orders or non-positive quantities (the
// schema already forbids them) and std::overflow_error for a total beyond int64.
ReservationDecision DecideReservation(const std::vector<contracts::OrderLine>& lines,
                                      const std::map<std::string, StockLevel>& stock);

enum class ReservationState { kHeld, kCommitted, kReleased };

std::string_view ToString(ReservationState state);
// Throws std::invalid_argument for anything but "held", "committed", "released".
ReservationState ParseReservationState(std::string_view text);

struct ReservationStatus {
  ReservationState state = ReservationState::kHeld;
  std::optional<contracts::ReleaseReason> release_reason;  // set when released
};

// What a reservation event does. Stock moves per SKU (see Delta):
//   kCommit   reserved -> sold, state committed, emits inventory.committed
//   kRelease  reserved -> available, state released(reason), emits inventory.released
//   kRestock  sold -> available, state released(reason), emits inventory.released
//   kAnnounce no change; emits inventory.released(reason) again for a late capture
//   kNone     a repeated or stale event: no change, nothing emitted
enum class Action { kNone, kCommit, kRelease, kRestock, kAnnounce };

struct Transition {
  Action action = Action::kNone;
  std::optional<contracts::ReleaseReason> reason;  // for kRelease, kRestock, kAnnounce
  bool operator==(const Transition&) const = default;
};

// payment.captured: commit a held reservation. A capture that comes after the hold expired
// is answered with released(expired) again, every time, so payment refunds the money it
// now holds (it refunds once per order whatever it is told).
Transition OnCaptured(const ReservationStatus& status);
// payment.declined: release a held reservation.
Transition OnDeclined(const ReservationStatus& status);
// The reservation's own deadline: release it if payment has not been captured by now.
Transition OnDeadline(const ReservationStatus& status);
// Whether a deadline message may act. The broker holds it until expires_at, but a copy
// replayed from a DLQ (or sent by hand) can arrive early; acting on it would cut a paying
// customer's hold short, so an early one is sent back to wait instead.
bool DeadlineDue(std::chrono::system_clock::time_point now, std::chrono::system_clock::time_point expires_at);
// shipment.rejected: put sold stock back on the shelf.
Transition OnShipmentRejected(const ReservationStatus& status);

// The state a transition leaves behind (unchanged for kNone and kAnnounce).
ReservationStatus Apply(const ReservationStatus& status, const Transition& transition);

// Change of the stock counters of one SKU for `quantity` units. For every action
// available + reserved + sold stays the same: stock is moved, never created or lost.
struct StockDelta {
  std::int64_t available = 0;
  std::int64_t reserved = 0;
  std::int64_t sold = 0;
  bool operator==(const StockDelta&) const = default;
};
StockDelta ReserveDelta(std::int64_t quantity);
StockDelta Delta(Action action, std::int64_t quantity);

}  // namespace choreo::inventory
