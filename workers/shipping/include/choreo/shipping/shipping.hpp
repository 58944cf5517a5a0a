#pragma once
// The shipping worker: books a shipment for every committed order whose destination it
// serves (shipment.scheduled) and refuses the others (shipment.rejected).
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "choreo/contracts/events.hpp"
#include "choreo/store/store.hpp"
#include "choreo/worker/worker.hpp"

namespace choreo::shipping {

// Destinations served unless --countries / CHOREO_SHIPPING_COUNTRIES says otherwise.
inline constexpr std::string_view kDefaultCountries = "DE,FR,NL,BE,AT,IT,ES,PL,SE,DK,GB,US,CA,CH";
inline constexpr std::string_view kDefaultCarrier = "parcelco";

// "de, FR,NL" -> {DE, FR, NL}. Throws std::invalid_argument for an entry that is not two
// ASCII letters, or for an empty list (a worker that serves nowhere is a misconfiguration).
std::set<std::string> ParseCountries(std::string_view text);

struct ShippingConfig {
  std::set<std::string> countries = ParseCountries(kDefaultCountries);
  std::string carrier = std::string(kDefaultCarrier);
};

// What to do with one committed order; exactly one of the two is set. The shipment id is
// left to the caller (it is minted once, when the booking is stored).
struct Booking {
  std::optional<contracts::ShipmentScheduled> scheduled;
  std::optional<contracts::ShipmentRejected> rejected;
};
Booking Decide(const ShippingConfig& config, const contracts::InventoryCommitted& committed, std::string at);

std::vector<store::Migration> Migrations();

// Registers the migrations and the inventory.committed handler.
void Register(worker::Worker& worker, ShippingConfig config);

// The handler, for tests.
void OnCommitted(const ShippingConfig& config, worker::Context& ctx, const contracts::InventoryCommitted& e);

}  // namespace choreo::shipping
