#include "choreo/inventory/decisions.hpp"

#include <stdexcept>

namespace choreo::inventory {

using contracts::ReleaseReason;

std::map<std::string, std::int64_t> QuantitiesBySku(const std::vector<contracts::OrderLine>& lines) {
  std::map<std::string, std::int64_t> quantities;
  for (const auto& line : lines) {
    if (line.quantity <= 0) {
      throw std::invalid_argument("line " + line.sku + ": quantity must be positive");
    }
    auto& q = quantities[line.sku];
    if (__builtin_add_overflow(q, line.quantity, &q)) {
      throw std::invalid_argument("line " + line.sku + ": quantity overflows");
    }
  }
  return quantities;
}

ReservationDecision DecideReservation(const std::vector<contracts::OrderLine>& lines,
                                      const std::map<std::string, StockLevel>& stock) {
  if (lines.empty()) throw std::invalid_argument("order has no lines");
  const auto quantities = QuantitiesBySku(lines);

  Rejection unknown{.reason = contracts::RejectionReason::kUnknownSku};
  Rejection shortage{.reason = contracts::RejectionReason::kInsufficientStock};
  for (const auto& [sku, quantity] : quantities) {
    auto it = stock.find(sku);
    if (it == stock.end()) {
      unknown.skus.push_back(sku);
      unknown.details += (unknown.details.empty() ? "" : "; ") + sku + " is not in the catalog";
    } else if (it->second.available < quantity) {
      shortage.skus.push_back(sku);
      shortage.details += (shortage.details.empty() ? "" : "; ") + sku + ": requested " +
                          std::to_string(quantity) + ", available " + std::to_string(it->second.available);
    }
  }
  if (!unknown.skus.empty()) return unknown;
  if (!shortage.skus.empty()) return shortage;

  Hold hold;
  hold.quantities = quantities;
  hold.currency = stock.at(lines.front().sku).currency;
  hold.lines.reserve(lines.size());
  for (const auto& line : lines) {
    const StockLevel& level = stock.at(line.sku);
    if (level.currency != hold.currency) {
      // The catalog loader refuses mixed currencies; a store edited by hand could still
      // hold them, and one reservation cannot carry two.
      throw std::invalid_argument("order mixes currencies " + hold.currency + " and " + level.currency);
    }
    hold.lines.push_back({.sku = line.sku, .quantity = line.quantity, .unit_price_minor = level.unit_price_minor});
  }
  hold.total_minor = contracts::TotalMinor(hold.lines);
  return hold;
}

std::string_view ToString(ReservationState state) {
  switch (state) {
    case ReservationState::kHeld:
      return "held";
    case ReservationState::kCommitted:
      return "committed";
    case ReservationState::kReleased:
      return "released";
  }
  return "held";
}

ReservationState ParseReservationState(std::string_view text) {
  if (text == "held") return ReservationState::kHeld;
  if (text == "committed") return ReservationState::kCommitted;
  if (text == "released") return ReservationState::kReleased;
  throw std::invalid_argument("unknown reservation state '" + std::string(text) + "'");
}

Transition OnCaptured(const ReservationStatus& status) {
  switch (status.state) {
    case ReservationState::kHeld:
      return {Action::kCommit, std::nullopt};
    case ReservationState::kReleased:
      if (status.release_reason == ReleaseReason::kExpired) return {Action::kAnnounce, ReleaseReason::kExpired};
      // Released after a decline (the provider answers a key once, so no capture should
      // follow) or restocked after a shipment rejection (the capture came first, this is
      // a repeat): nothing to add.
      return {};
    case ReservationState::kCommitted:
      return {};
  }
  return {};
}

Transition OnDeclined(const ReservationStatus& status) {
  if (status.state == ReservationState::kHeld) return {Action::kRelease, ReleaseReason::kPaymentDeclined};
  return {};
}

Transition OnDeadline(const ReservationStatus& status) {
  if (status.state == ReservationState::kHeld) return {Action::kRelease, ReleaseReason::kExpired};
  return {};
}

bool DeadlineDue(std::chrono::system_clock::time_point now, std::chrono::system_clock::time_point expires_at) {
  return now >= expires_at;
}

Transition OnShipmentRejected(const ReservationStatus& status) {
  if (status.state == ReservationState::kCommitted) return {Action::kRestock, ReleaseReason::kShipmentRejected};
  return {};
}

ReservationStatus Apply(const ReservationStatus& status, const Transition& transition) {
  switch (transition.action) {
    case Action::kCommit:
      return {ReservationState::kCommitted, std::nullopt};
    case Action::kRelease:
    case Action::kRestock:
      return {ReservationState::kReleased, transition.reason};
    case Action::kAnnounce:
    case Action::kNone:
      return status;
  }
  return status;
}

StockDelta ReserveDelta(std::int64_t quantity) { return {.available = -quantity, .reserved = quantity, .sold = 0}; }

StockDelta Delta(Action action, std::int64_t quantity) {
  switch (action) {
    case Action::kCommit:
      return {.available = 0, .reserved = -quantity, .sold = quantity};
    case Action::kRelease:
      return {.available = quantity, .reserved = -quantity, .sold = 0};
    case Action::kRestock:
      return {.available = quantity, .reserved = 0, .sold = -quantity};
    case Action::kAnnounce:
    case Action::kNone:
      return {};
  }
  return {};
}

}  // namespace choreo::inventory
