#include "choreo/shipping/shipping.hpp"

#include <stdexcept>

#include "choreo/contracts/time.hpp"

namespace choreo::shipping {
namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

bool IsCountryCode(std::string_view code) {
  return code.size() == 2 && ((code[0] >= 'A' && code[0] <= 'Z') && (code[1] >= 'A' && code[1] <= 'Z'));
}

// Tables are prefixed with the component so replicas sharing one PostgreSQL database with
// other components cannot collide with them.
constexpr const char* kCreateShipments = R"sql(
CREATE TABLE shipping_bookings (
  order_id TEXT PRIMARY KEY,
  reservation_id TEXT NOT NULL,
  outcome TEXT NOT NULL,
  shipment_id TEXT,
  carrier TEXT,
  country TEXT NOT NULL,
  decided_at TEXT NOT NULL
);
)sql";

}  // namespace

std::set<std::string> ParseCountries(std::string_view text) {
  std::set<std::string> countries;
  while (true) {
    const std::size_t comma = text.find(',');
    const std::string_view item = Trim(text.substr(0, comma));
    if (!item.empty()) {
      const std::string code = Upper(item);
      if (!IsCountryCode(code)) {
        throw std::invalid_argument("countries: '" + std::string(item) + "' is not an ISO 3166-1 alpha-2 code");
      }
      countries.insert(code);
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  if (countries.empty()) throw std::invalid_argument("countries: the list of served destinations is empty");
  return countries;
}

Booking Decide(const ShippingConfig& config, const contracts::InventoryCommitted& committed, std::string at) {
  Booking booking;
  const std::string country = Upper(Trim(committed.shipping_address.country));
  if (config.countries.contains(country)) {
    booking.scheduled = contracts::ShipmentScheduled{.order_id = committed.order_id,
                                                     .reservation_id = committed.reservation_id,
                                                     .shipment_id = {},
                                                     .carrier = config.carrier,
                                                     .scheduled_at = std::move(at)};
  } else {
    booking.rejected = contracts::ShipmentRejected{
        .order_id = committed.order_id,
        .reservation_id = committed.reservation_id,
        .reason = contracts::ShipmentRejectionReason::kUnsupportedDestination,
        .details = "no delivery to " + (country.empty() ? std::string("an unknown country") : country),
        .rejected_at = std::move(at)};
  }
  return booking;
}

std::vector<store::Migration> Migrations() {
  return {{.version = 1, .name = "create shipping_bookings", .sql = kCreateShipments}};
}

void OnCommitted(const ShippingConfig& config, worker::Context& ctx, const contracts::InventoryCommitted& e) {
  Booking booking = Decide(config, e, contracts::NowRfc3339());
  const std::string country = Upper(Trim(e.shipping_address.country));
  std::optional<std::string> shipment_id;
  std::optional<std::string> carrier;
  if (booking.scheduled) {
    booking.scheduled->shipment_id = "shp-" + contracts::NewUuid();
    shipment_id = booking.scheduled->shipment_id;
    carrier = booking.scheduled->carrier;
  }
  // The order id is the key: a repeated inventory.committed (another message id for the
  // same commit) finds the first decision and neither books nor announces anything again.
  // The conflict clause also makes a concurrent replica wait for, then yield to, the first.
  const bool first = ctx.Tx().Run("INSERT INTO shipping_bookings (order_id, reservation_id, outcome, shipment_id, "
                                  "carrier, country, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                                  "ON CONFLICT (order_id) DO NOTHING",
                                  e.order_id, e.reservation_id, booking.scheduled ? "scheduled" : "rejected",
                                  shipment_id, carrier, country, contracts::NowRfc3339()) == 1;
  if (!first) return;
  if (booking.scheduled) ctx.Publish(*booking.scheduled);
  if (booking.rejected) ctx.Publish(*booking.rejected);
}

void Register(worker::Worker& worker, ShippingConfig config) {
  worker.Migrations(Migrations());
  worker.On<contracts::InventoryCommitted>(
      [config = std::move(config)](worker::Context& ctx, const contracts::InventoryCommitted& e) {
        OnCommitted(config, ctx, e);
      });
}

}  // namespace choreo::shipping
