#include "choreo/inventory/inventory.hpp"

#include <optional>
#include <stdexcept>
#include <utility>

#include <nlohmann/json.hpp>

#include "choreo/contracts/events.hpp"
#include "choreo/contracts/time.hpp"
#include "choreo/inventory/decisions.hpp"
#include "choreo/log/log.hpp"

namespace choreo::inventory {
namespace {

using contracts::ReleaseReason;
using Poco::Data::Keywords::into;
using worker::Context;

// SQLite's BEGIN IMMEDIATE already serialises writers; PostgreSQL replicas compete for
// the same rows and must lock what they read before they change it.
std::string ForUpdate(store::Tx& tx) { return tx.Dialect() == store::Dialect::kPostgres ? " FOR UPDATE" : ""; }

// Locks and reads the stock of `skus` (in the sorted order of the map, the one lock order
// every transaction uses). SKUs the catalog does not know are absent from the result.
std::map<std::string, StockLevel> LockStock(store::Tx& tx, const std::map<std::string, std::int64_t>& skus) {
  std::map<std::string, StockLevel> levels;
  const std::string lock_sql = "SELECT available FROM inventory_stock WHERE sku = ?" + ForUpdate(tx);
  for (const auto& [sku, quantity] : skus) {
    Poco::Int64 available = 0;
    if (tx.Run(lock_sql, into(available), sku) == 0) continue;
    Poco::Int64 price = 0;
    std::string currency;
    tx.Run("SELECT unit_price_minor, currency FROM inventory_catalog WHERE sku = ?", into(price), into(currency), sku);
    levels[sku] = StockLevel{.unit_price_minor = price, .currency = std::move(currency), .available = available};
  }
  return levels;
}

void MoveStock(store::Tx& tx, const std::string& sku, const StockDelta& delta) {
  if (delta == StockDelta{}) return;
  // Relative updates: the row lock (PostgreSQL) or the write lock (SQLite) makes them
  // atomic, and the CHECK constraints refuse any move that would break conservation.
  if (tx.Run("UPDATE inventory_stock SET available = available + ?, reserved = reserved + ?, sold = sold + ? "
             "WHERE sku = ?",
             delta.available, delta.reserved, delta.sold, sku) != 1) {
    throw worker::PermanentError("stock row of " + sku + " is missing");
  }
}

struct Reservation {
  std::string order_id;
  std::string reservation_id;
  ReservationStatus status;
  std::int64_t total_minor = 0;
  std::string currency;
  std::string expires_at;
  contracts::Address shipping_address;
  std::vector<contracts::PricedLine> lines;

  std::vector<contracts::OrderLine> OrderLines() const {
    std::vector<contracts::OrderLine> out;
    out.reserve(lines.size());
    for (const auto& line : lines) out.push_back({.sku = line.sku, .quantity = line.quantity});
    return out;
  }
};

// Loads and locks the reservation of `order_id`. An event naming another reservation id
// than the one on record is not about this reservation: treated as absent.
std::optional<Reservation> LoadReservation(store::Tx& tx, const std::string& order_id,
                                           const std::string& reservation_id) {
  Reservation r;
  std::string state, address;
  std::optional<std::string> reason;
  Poco::Int64 total = 0;
  if (tx.Run("SELECT reservation_id, state, release_reason, total_minor, currency, expires_at, shipping_address "
             "FROM inventory_reservations WHERE order_id = ?" + ForUpdate(tx),
             into(r.reservation_id), into(state), into(reason), into(total), into(r.currency), into(r.expires_at),
             into(address), order_id) == 0) {
    return std::nullopt;
  }
  if (!reservation_id.empty() && reservation_id != r.reservation_id) {
    log::Warn("event names another reservation of the order", {{"order_id", order_id},
                                                               {"reservation_id", reservation_id},
                                                               {"on_record", r.reservation_id}});
    return std::nullopt;
  }
  r.order_id = order_id;
  r.status.state = ParseReservationState(state);
  if (reason) r.status.release_reason = contracts::FromString<ReleaseReason>(*reason);
  r.total_minor = total;
  r.shipping_address = nlohmann::json::parse(address).get<contracts::Address>();

  std::vector<std::string> skus;
  std::vector<Poco::Int64> quantities, prices;
  tx.Run("SELECT sku, quantity, unit_price_minor FROM inventory_reservation_lines WHERE order_id = ? ORDER BY line_no",
         into(skus), into(quantities), into(prices), order_id);
  for (std::size_t i = 0; i < skus.size(); ++i) {
    r.lines.push_back({.sku = skus[i], .quantity = quantities[i], .unit_price_minor = prices[i]});
  }
  return r;
}

// The reservation an event is about. Without one (an order inventory never reserved, a
// stale reservation id) a release-type event has nothing to release: logged and dropped.
template <contracts::Event E>
std::optional<Reservation> ReservationOf(Context& ctx, const E& e) {
  auto r = LoadReservation(ctx.Tx(), e.order_id, e.reservation_id);
  if (!r) log::Warn("event for an unknown reservation ignored", {{"order_id", e.order_id}, {"event", E::kType}});
  return r;
}

bool AlreadyDecided(store::Tx& tx, const std::string& order_id) {
  Poco::Int64 n = 0;
  tx.Run("SELECT (SELECT COUNT(*) FROM inventory_reservations WHERE order_id = ?) + "
         "(SELECT COUNT(*) FROM inventory_rejections WHERE order_id = ?)",
         into(n), order_id, order_id);
  return n > 0;
}

void Reject(Context& ctx, const contracts::OrderPlaced& e, const Rejection& rejection) {
  const std::string now = contracts::NowRfc3339();
  // Claimed with ON CONFLICT so that two replicas handling a repeated order.placed at the
  // same moment emit one rejection between them.
  if (ctx.Tx().Run("INSERT INTO inventory_rejections (order_id, reason, skus, details, rejected_at) "
                   "VALUES (?, ?, ?, ?, ?) ON CONFLICT (order_id) DO NOTHING",
                   e.order_id, contracts::ToString(rejection.reason), nlohmann::json(rejection.skus).dump(),
                   rejection.details, now) == 0) {
    return;
  }
  ctx.Publish(contracts::InventoryRejected{.order_id = e.order_id,
                                           .reason = rejection.reason,
                                           .skus = rejection.skus,
                                           .details = rejection.details,
                                           .rejected_at = now});
}

void Reserve(Context& ctx, const contracts::OrderPlaced& e, const Hold& hold, std::chrono::milliseconds ttl) {
  store::Tx& tx = ctx.Tx();
  for (const auto& [sku, quantity] : hold.quantities) MoveStock(tx, sku, ReserveDelta(quantity));

  const auto now = std::chrono::system_clock::now();
  const std::string created_at = contracts::FormatRfc3339(now);
  const std::string expires_at = contracts::FormatRfc3339(now + ttl);
  const std::string reservation_id = "res-" + contracts::NewUuid();
  if (tx.Run("INSERT INTO inventory_reservations (order_id, reservation_id, state, release_reason, total_minor, "
             "currency, expires_at, shipping_address, created_at, updated_at) "
             "VALUES (?, ?, 'held', NULL, ?, ?, ?, ?, ?, ?) ON CONFLICT (order_id) DO NOTHING",
             e.order_id, reservation_id, hold.total_minor, hold.currency, expires_at,
             nlohmann::json(e.shipping_address).dump(), created_at, created_at) == 0) {
    // Another replica reserved this order while we moved stock: undo by rolling back; the
    // retry finds its reservation and does nothing.
    throw worker::TransientError("order " + e.order_id + " was reserved concurrently");
  }
  for (std::size_t i = 0; i < hold.lines.size(); ++i) {
    const auto& line = hold.lines[i];
    tx.Defer("INSERT INTO inventory_reservation_lines (order_id, line_no, sku, quantity, unit_price_minor) "
             "VALUES (?, ?, ?, ?, ?)",
             e.order_id, static_cast<std::int64_t>(i), line.sku, line.quantity, line.unit_price_minor);
  }
  ctx.Publish(contracts::InventoryReserved{.order_id = e.order_id,
                                           .reservation_id = reservation_id,
                                           .lines = hold.lines,
                                           .total_minor = hold.total_minor,
                                           .currency = hold.currency,
                                           .expires_at = expires_at,
                                           .payment = e.payment});
  // The timer goes through the outbox with the reservation: it exists exactly when the
  // hold does, whatever crashes afterwards.
  ctx.Publish(contracts::ReservationDeadline{
      .order_id = e.order_id, .reservation_id = reservation_id, .expires_at = expires_at});
}

void HandleOrderPlaced(Context& ctx, const contracts::OrderPlaced& e, std::chrono::milliseconds ttl) {
  std::map<std::string, std::int64_t> quantities;
  try {
    quantities = QuantitiesBySku(e.lines);
  } catch (const std::invalid_argument& error) {
    throw worker::PermanentError(error.what());
  }
  // Locks first, then the duplicate check: a competing replica handling the same order
  // holds the same locks, so once we have them its decision is visible.
  auto stock = LockStock(ctx.Tx(), quantities);
  if (AlreadyDecided(ctx.Tx(), e.order_id)) {
    log::Info("order.placed again for a decided order: nothing new", {{"order_id", e.order_id}});
    return;
  }
  ReservationDecision decision;
  try {
    decision = DecideReservation(e.lines, stock);
  } catch (const std::exception& error) {  // invalid_argument, overflow_error: never better on retry
    throw worker::PermanentError(error.what());
  }
  if (const auto* rejection = std::get_if<Rejection>(&decision)) {
    Reject(ctx, e, *rejection);
  } else {
    Reserve(ctx, e, std::get<Hold>(decision), ttl);
  }
}

// Applies `transition` to the reservation (state, stock) and emits what it calls for.
void Carry(Context& ctx, const Reservation& r, const Transition& transition, std::string_view cause) {
  store::Tx& tx = ctx.Tx();
  const std::string now = contracts::NowRfc3339();
  if (transition.action == Action::kNone) {
    log::Info("reservation event without effect", {{"order_id", r.order_id},
                                                   {"event", cause},
                                                   {"state", ToString(r.status.state)}});
    return;
  }
  if (transition.action != Action::kAnnounce) {
    std::map<std::string, std::int64_t> quantities;
    for (const auto& line : r.lines) quantities[line.sku] += line.quantity;
    for (const auto& [sku, quantity] : quantities) MoveStock(tx, sku, Delta(transition.action, quantity));
    const ReservationStatus next = Apply(r.status, transition);
    std::optional<std::string> reason;
    if (next.release_reason) reason = std::string(contracts::ToString(*next.release_reason));
    tx.Defer("UPDATE inventory_reservations SET state = ?, release_reason = ?, updated_at = ? WHERE order_id = ?",
             ToString(next.state), reason, now, r.order_id);
  }
  if (transition.action == Action::kCommit) {
    ctx.Publish(contracts::InventoryCommitted{.order_id = r.order_id, .reservation_id = r.reservation_id,
                                              .lines = r.lines, .total_minor = r.total_minor, .currency = r.currency,
                                              .shipping_address = r.shipping_address, .committed_at = now});
  } else {
    ctx.Publish(contracts::InventoryReleased{.order_id = r.order_id, .reservation_id = r.reservation_id,
                                             .reason = transition.reason.value_or(ReleaseReason::kExpired),
                                             .lines = r.OrderLines(), .released_at = now});
  }
}

}  // namespace

void InventoryOptions::Validate() const {
  if (reservation_ttl <= std::chrono::milliseconds::zero()) {
    throw std::invalid_argument("reservation_ttl must be positive");
  }
  if (catalog.empty()) throw std::invalid_argument("catalog must not be empty");
}

std::vector<store::Migration> Migrations() {
  return {
    {1, "create catalog, stock, reservations, rejections",
     R"(CREATE TABLE inventory_catalog (
          sku TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          unit_price_minor BIGINT NOT NULL CHECK (unit_price_minor >= 0),
          currency TEXT NOT NULL
        );
        CREATE TABLE inventory_stock (
          sku TEXT PRIMARY KEY REFERENCES inventory_catalog (sku),
          total BIGINT NOT NULL,
          available BIGINT NOT NULL CHECK (available >= 0),
          reserved BIGINT NOT NULL CHECK (reserved >= 0),
          sold BIGINT NOT NULL CHECK (sold >= 0),
          CHECK (available + reserved + sold = total)
        );
        CREATE TABLE inventory_reservations (
          order_id TEXT PRIMARY KEY,
          reservation_id TEXT NOT NULL UNIQUE,
          state TEXT NOT NULL CHECK (state IN ('held', 'committed', 'released')),
          release_reason TEXT,
          total_minor BIGINT NOT NULL,
          currency TEXT NOT NULL,
          expires_at TEXT NOT NULL,
          shipping_address TEXT NOT NULL,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL
        );
        CREATE TABLE inventory_reservation_lines (
          order_id TEXT NOT NULL REFERENCES inventory_reservations (order_id),
          line_no BIGINT NOT NULL,
          sku TEXT NOT NULL REFERENCES inventory_catalog (sku),
          quantity BIGINT NOT NULL CHECK (quantity > 0),
          unit_price_minor BIGINT NOT NULL,
          PRIMARY KEY (order_id, line_no)
        );
        CREATE TABLE inventory_rejections (
          order_id TEXT PRIMARY KEY,
          reason TEXT NOT NULL,
          skus TEXT NOT NULL,
          details TEXT NOT NULL,
          rejected_at TEXT NOT NULL
        );)"},
  };
}

std::size_t SeedCatalog(store::Tx& tx, const std::vector<CatalogItem>& catalog) {
  Poco::Int64 existing = 0;
  tx.Run("SELECT COUNT(*) FROM inventory_catalog", into(existing));
  if (existing > 0) return 0;
  std::size_t written = 0;
  for (const auto& item : catalog) {
    // ON CONFLICT: a replica starting at the same moment may have seeded first.
    written += tx.Run("INSERT INTO inventory_catalog (sku, name, unit_price_minor, currency) VALUES (?, ?, ?, ?) "
                      "ON CONFLICT (sku) DO NOTHING",
                      item.sku, item.name, item.unit_price_minor, item.currency);
    tx.Run("INSERT INTO inventory_stock (sku, total, available, reserved, sold) VALUES (?, ?, ?, 0, 0) "
           "ON CONFLICT (sku) DO NOTHING",
           item.sku, item.stock, item.stock);
  }
  return written;
}

std::vector<StockRow> ReadStock(store::Tx& tx) {
  std::vector<std::string> skus;
  std::vector<Poco::Int64> total, available, reserved, sold;
  tx.Run("SELECT sku, total, available, reserved, sold FROM inventory_stock ORDER BY sku", into(skus), into(total),
         into(available), into(reserved), into(sold));
  std::vector<StockRow> rows;
  for (std::size_t i = 0; i < skus.size(); ++i) {
    rows.push_back({skus[i], total[i], available[i], reserved[i], sold[i]});
  }
  return rows;
}

void Register(worker::Worker& worker, InventoryOptions options) {
  options.Validate();
  const auto ttl = options.reservation_ttl;
  worker.Migrations(Migrations());
  // Every order moves stock, and a batch of orders locks the rows of all its SKUs: sorted
  // within one order (LockStock), but two replicas' batches would still lock the popular
  // SKUs in different orders and deadlock. So the replicas take turns.
  worker.SerializeTransactions();
  worker.OnStart([catalog = std::move(options.catalog)](store::Store& store) {
    const std::size_t seeded = store.InTransaction([&](store::Tx& tx) { return SeedCatalog(tx, catalog); });
    if (seeded > 0) log::Info("catalog seeded", {{"items", seeded}});
  });

  worker.On<contracts::OrderPlaced>(
      [ttl](Context& ctx, const contracts::OrderPlaced& e) { HandleOrderPlaced(ctx, e, ttl); });

  worker.On<contracts::PaymentCaptured>([](Context& ctx, const contracts::PaymentCaptured& e) {
    auto r = LoadReservation(ctx.Tx(), e.order_id, e.reservation_id);
    if (!r) {
      // Money was taken for stock we never held: no automatic answer is right, so the
      // message goes to the DLQ where someone will see it.
      throw worker::PermanentError("payment.captured for unknown reservation " + e.reservation_id + " of order " +
                                   e.order_id);
    }
    if (e.amount_minor != r->total_minor || e.currency != r->currency) {
      log::Warn("captured amount differs from the reservation",
                {{"order_id", e.order_id}, {"captured", e.amount_minor}, {"reserved", r->total_minor}});
    }
    Carry(ctx, *r, OnCaptured(r->status), e.kType);
  });

  worker.On<contracts::PaymentDeclined>([](Context& ctx, const contracts::PaymentDeclined& e) {
    if (auto r = ReservationOf(ctx, e)) Carry(ctx, *r, OnDeclined(r->status), e.kType);
  });

  worker.On<contracts::ReservationDeadline>([](Context& ctx, const contracts::ReservationDeadline& e) {
    auto r = ReservationOf(ctx, e);
    if (!r) return;
    const auto expires_at = contracts::ParseRfc3339(r->expires_at);
    if (!expires_at) throw worker::PermanentError("reservation of " + e.order_id + " has a malformed expires_at");
    if (r->status.state == ReservationState::kHeld && !DeadlineDue(std::chrono::system_clock::now(), *expires_at)) {
      log::Warn("deadline arrived early: sent back to wait", {{"order_id", e.order_id}, {"expires_at", r->expires_at}});
      ctx.Publish(contracts::ReservationDeadline{
          .order_id = e.order_id, .reservation_id = r->reservation_id, .expires_at = r->expires_at});
      return;
    }
    Carry(ctx, *r, OnDeadline(r->status), e.kType);
  });

  worker.On<contracts::ShipmentRejected>([](Context& ctx, const contracts::ShipmentRejected& e) {
    if (auto r = ReservationOf(ctx, e)) Carry(ctx, *r, OnShipmentRejected(r->status), e.kType);
  });
}

void AddFlags(config::Options& flags) {
  flags.Add("catalog", "CHOREO_CATALOG", std::string(kDefaultCatalogPath), "catalog JSON seeded into an empty store")
      .Add("reservation-ttl", "CHOREO_RESERVATION_TTL", "5m", "how long stock is held for an unpaid order (800ms, 5s, 5m)");
}

InventoryOptions OptionsFromFlags(const config::Options& flags) {
  InventoryOptions options;
  options.reservation_ttl = flags.GetDuration("reservation-ttl");
  options.catalog = LoadCatalog(flags.Get("catalog"));
  options.Validate();
  return options;
}

}  // namespace choreo::inventory
