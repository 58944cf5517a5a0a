// choreo-admin audit: loading (stores, catalog, DLQs) and the pure checks. See audit.hpp.
#include "choreo/admin/audit.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <memory>
#include <ostream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "choreo/contracts/time.hpp"
#include "choreo/secrets/redact.hpp"
#include "choreo/store/store.hpp"

namespace choreo::admin {

namespace {

using nlohmann::json;
using Poco::Data::Keywords::into;
using std::chrono::milliseconds;

// ---------------------------------------------------------------------------------------
// Loading

std::optional<std::int64_t> ParseTimeMs(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  auto at = contracts::ParseRfc3339(*text);
  if (!at) return std::nullopt;
  return at->time_since_epoch().count();
}

std::unique_ptr<store::Store> OpenStore(const std::string& component, const std::string& url) {
  const std::string flag = "--" + component + "-store";
  try {
    // Opening a SQLite path that does not exist would create an empty database there.
    store::StoreUrl parsed = store::ParseStoreUrl(url);
    if (parsed.dialect == store::Dialect::kSqlite && parsed.sqlite_path != ":memory:" &&
        !std::filesystem::exists(parsed.sqlite_path)) {
      throw UsageError("no SQLite database at '" + parsed.sqlite_path + "' for the " + component + " store (" +
                       flag + " URL, --var-dir DIR, or " + flag + " none to leave it out)");
    }
  } catch (const std::invalid_argument& e) {
    throw UsageError("invalid " + component + " store URL (" + flag + "): " + e.what());
  }
  store::StoreOptions options;
  options.url = url;
  options.pool_size = 1;
  // Reads only: safe to repeat when a running worker holds the write lock a while.
  options.transient_retries = 5;
  try {
    return std::make_unique<store::Store>(options);
  } catch (const std::invalid_argument& e) {
    throw UsageError("invalid " + component + " store URL (" + flag + "): " + e.what());
  } catch (const store::StoreError& e) {
    throw CommandError("cannot open the " + component + " store " + secrets::RedactUrl(url) + ": " + e.what());
  }
}

template <class F>
void ReadStore(const std::string& component, const std::string& url, F&& read) {
  auto store = OpenStore(component, url);
  try {
    store->InTransaction([&](store::Tx& tx) { read(tx); });
  } catch (const store::StoreError& e) {
    throw CommandError("cannot read the " + component + " store " + secrets::RedactUrl(url) + ": " + e.what() +
                       " (is this the " + component + "'s store, and has it started at least once?)");
  }
}

std::vector<AcceptedOrder> ReadGateway(store::Tx& tx) {
  std::vector<std::string> ids;
  std::vector<Poco::Int64> created;
  tx.Run("SELECT order_id, created_at_ms FROM gateway_orders ORDER BY order_id", into(ids), into(created));
  std::vector<AcceptedOrder> out;
  for (std::size_t i = 0; i < ids.size(); ++i) out.push_back({ids[i], created[i]});
  return out;
}

std::vector<OrderRecord> ReadOrders(store::Tx& tx) {
  std::vector<std::string> ids, statuses, created, updated;
  std::vector<std::optional<std::string>> reasons, terminal;
  std::vector<std::optional<Poco::Int64>> totals;
  tx.Run("SELECT order_id, status, reason, total_minor, created_at, terminal_at, updated_at FROM order_states "
         "ORDER BY order_id",
         into(ids), into(statuses), into(reasons), into(totals), into(created), into(terminal), into(updated));
  std::vector<OrderRecord> out;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    OrderRecord r;
    r.order_id = ids[i];
    r.status = statuses[i];
    r.reason = reasons[i];
    if (totals[i]) r.total_minor = *totals[i];
    r.created_at_ms = ParseTimeMs(created[i]);
    r.changed_at_ms = ParseTimeMs(terminal[i] ? terminal[i] : std::optional<std::string>(updated[i]));
    out.push_back(std::move(r));
  }
  return out;
}

InventoryData ReadInventory(store::Tx& tx) {
  InventoryData data;
  {
    std::vector<std::string> skus;
    std::vector<Poco::Int64> total, available, reserved, sold;
    tx.Run("SELECT sku, total, available, reserved, sold FROM inventory_stock ORDER BY sku", into(skus), into(total),
           into(available), into(reserved), into(sold));
    for (std::size_t i = 0; i < skus.size(); ++i) {
      data.stock.push_back({skus[i], total[i], available[i], reserved[i], sold[i]});
    }
  }
  std::map<std::string, std::size_t> index;
  {
    std::vector<std::string> ids, states;
    std::vector<std::optional<std::string>> reasons;
    tx.Run("SELECT order_id, state, release_reason FROM inventory_reservations ORDER BY order_id", into(ids),
           into(states), into(reasons));
    for (std::size_t i = 0; i < ids.size(); ++i) {
      index[ids[i]] = data.reservations.size();
      data.reservations.push_back({ids[i], states[i], reasons[i], {}});
    }
  }
  {
    std::vector<std::string> ids, skus;
    std::vector<Poco::Int64> quantities;
    tx.Run("SELECT order_id, sku, quantity FROM inventory_reservation_lines", into(ids), into(skus), into(quantities));
    for (std::size_t i = 0; i < ids.size(); ++i) {
      auto it = index.find(ids[i]);
      if (it != index.end()) data.reservations[it->second].quantities[skus[i]] += quantities[i];
    }
  }
  tx.Run("SELECT order_id FROM inventory_rejections ORDER BY order_id", into(data.rejected_orders));
  return data;
}

std::vector<PaymentRecord> ReadPayments(store::Tx& tx) {
  std::vector<std::string> ids, statuses, charges;
  std::vector<Poco::Int64> amounts;
  std::vector<std::optional<std::string>> refunds;
  tx.Run("SELECT order_id, status, charge_id, amount_minor, refund_id FROM payments ORDER BY order_id", into(ids),
         into(statuses), into(charges), into(amounts), into(refunds));
  std::vector<PaymentRecord> out;
  for (std::size_t i = 0; i < ids.size(); ++i) out.push_back({ids[i], statuses[i], charges[i], amounts[i], refunds[i]});
  return out;
}

std::vector<ShipmentRecord> ReadShipments(store::Tx& tx) {
  std::vector<std::string> ids, outcomes;
  tx.Run("SELECT order_id, outcome FROM shipping_bookings ORDER BY order_id", into(ids), into(outcomes));
  std::vector<ShipmentRecord> out;
  for (std::size_t i = 0; i < ids.size(); ++i) out.push_back({ids[i], outcomes[i]});
  return out;
}

std::vector<NotificationRecord> ReadNotifications(store::Tx& tx) {
  std::vector<std::string> ids, kinds, messages;
  tx.Run("SELECT order_id, kind, provider_message_id FROM notification_emails ORDER BY order_id, kind", into(ids),
         into(kinds), into(messages));
  std::vector<NotificationRecord> out;
  for (std::size_t i = 0; i < ids.size(); ++i) out.push_back({ids[i], kinds[i], messages[i]});
  return out;
}

ProviderData ReadProvider(store::Tx& tx) {
  ProviderData data;
  {
    std::vector<std::string> ids, orders, statuses;
    std::vector<Poco::Int64> amounts, created;
    tx.Run("SELECT charge_id, order_id, amount_minor, status, created_at FROM provider_charges ORDER BY charge_id",
           into(ids), into(orders), into(amounts), into(statuses), into(created));
    for (std::size_t i = 0; i < ids.size(); ++i) {
      data.charges.push_back({ids[i], orders[i], amounts[i], statuses[i], created[i]});
    }
  }
  {
    std::vector<std::string> ids, charges, reasons;
    std::vector<Poco::Int64> amounts, created;
    tx.Run("SELECT refund_id, charge_id, amount_minor, reason, created_at FROM provider_refunds ORDER BY refund_id",
           into(ids), into(charges), into(amounts), into(reasons), into(created));
    for (std::size_t i = 0; i < ids.size(); ++i) {
      data.refunds.push_back({ids[i], charges[i], amounts[i], reasons[i], created[i]});
    }
  }
  {
    std::vector<std::string> ids, orders, templates;
    std::vector<Poco::Int64> created;
    tx.Run("SELECT email_id, order_id, template, created_at FROM provider_emails ORDER BY email_id", into(ids),
           into(orders), into(templates), into(created));
    for (std::size_t i = 0; i < ids.size(); ++i) data.emails.push_back({ids[i], orders[i], templates[i], created[i]});
  }
  return data;
}

void ReadOutbox(store::Tx& tx, OutboxRecord& record) {
  std::vector<Poco::Int64> created, attempts;
  tx.Run("SELECT created_at, attempts FROM choreo_outbox WHERE sent_at IS NULL ORDER BY id", into(created),
         into(attempts));
  // Filled afresh: the transaction may be repeated after a transient error.
  record.failing = 0;
  record.oldest_pending_created_ms.reset();
  record.pending_created_ms.clear();
  record.pending = static_cast<std::int64_t>(created.size());
  for (std::size_t i = 0; i < created.size(); ++i) {
    record.pending_created_ms.push_back(created[i]);
    if (attempts[i] > 0) ++record.failing;
    if (!record.oldest_pending_created_ms || created[i] < *record.oldest_pending_created_ms) {
      record.oldest_pending_created_ms = created[i];
    }
  }
}

std::map<std::string, std::int64_t> ReadCatalog(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw UsageError("cannot read the catalog '" + path + "' (--catalog PATH, or --catalog none)");
  std::stringstream text;
  text << in.rdbuf();
  json parsed = json::parse(text.str(), nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object() || !parsed.contains("items") || !parsed["items"].is_array()) {
    throw UsageError("the catalog '" + path + "' is not {\"items\": [...]} JSON");
  }
  std::map<std::string, std::int64_t> initial;
  for (const json& item : parsed["items"]) {
    if (!item.is_object() || !item.contains("sku") || !item["sku"].is_string() || !item.contains("stock") ||
        !item["stock"].is_number_integer()) {
      throw UsageError("the catalog '" + path + "' has an item without a string sku and an integer stock");
    }
    initial[item["sku"].get<std::string>()] += item["stock"].get<std::int64_t>();
  }
  return initial;
}

void ReadDeadLetters(const Endpoints& endpoints, std::size_t limit, AuditData& data) {
  try {
    ListReport list = ListDeadLetterQueues(endpoints);
    for (const std::string& w : list.warnings) data.warnings.push_back("broker: " + w);
    DlqData dlq;
    dlq.queues = list.queues.size();
    for (const QueueSummary& q : list.queues) {
      if (q.messages == 0) continue;
      ShowOptions options;
      options.queue = q.name;
      options.limit = limit;
      ShowReport shown = Show(endpoints, options);
      if (shown.depth > shown.examined) dlq.unread += shown.depth - shown.examined;
      for (const DeadLetter& l : shown.messages) {
        dlq.messages.push_back({q.name, l.message_id, l.event_type, l.correlation_id, l.error_class, l.error_message,
                                l.worker, l.dead_lettered_at});
      }
    }
    data.dlq = std::move(dlq);
  } catch (const std::exception& e) {
    // The stores are the point of the audit; a broker that is down must not hide them.
    data.warnings.push_back(std::string("the dead-letter queues were not read: ") + e.what());
  }
}

// ---------------------------------------------------------------------------------------
// Checks

std::string Lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

bool IsConfirmed(const OrderRecord& o) { return Lower(o.status) == "confirmed"; }
bool IsCancelled(const OrderRecord& o) { return Lower(o.status) == "cancelled"; }
bool IsTerminal(const OrderRecord& o) { return IsConfirmed(o) || IsCancelled(o); }

constexpr const char* kConfirmationTemplate = "order_confirmed";
constexpr const char* kCancellationTemplate = "order_cancelled";

std::string AgeText(std::int64_t now_ms, std::optional<std::int64_t> at_ms) {
  if (!at_ms) return "unknown age";
  return FormatAge(milliseconds(std::max<std::int64_t>(0, now_ms - *at_ms)));
}

std::string Money(std::int64_t minor) {
  std::ostringstream out;
  if (minor < 0) out << "-";
  const std::int64_t a = minor < 0 ? -minor : minor;
  out << a / 100 << "." << std::setw(2) << std::setfill('0') << a % 100;
  return out.str();
}

// Everything known about one order, from every store.
struct OrderFacts {
  const AcceptedOrder* accepted = nullptr;
  const OrderRecord* order = nullptr;
  const ReservationRecord* reservation = nullptr;
  bool rejected = false;  // inventory_rejections
  const PaymentRecord* payment = nullptr;
  const ShipmentRecord* shipment = nullptr;
  std::vector<const NotificationRecord*> notifications;
  std::vector<const ChargeRecord*> captures;
  std::vector<const ChargeRecord*> declined;
  std::vector<const EmailRecord*> emails;

  std::size_t EmailCount(std::string_view template_name) const {
    return static_cast<std::size_t>(std::count_if(
        emails.begin(), emails.end(), [&](const EmailRecord* e) { return e->template_name == template_name; }));
  }
  std::optional<std::int64_t> CreatedMs() const {
    if (accepted) return accepted->created_at_ms;
    if (order) return order->created_at_ms;
    return std::nullopt;
  }
};

class Checker {
 public:
  Checker(const AuditData& data, const AuditOptions& options) : data_(data), options_(options) { Index(); }

  AuditReport Run() {
    AuditReport report;
    report.now_ms = data_.now_ms;
    report.in_flight = options_.in_flight;
    report.warnings = data_.warnings;
    report.sources = data_.sources;
    report.checks.push_back(OrdersKnown());
    report.checks.push_back(OrdersTerminal());
    report.checks.push_back(UnacceptedEffects());
    report.checks.push_back(ConfirmedPayment());
    report.checks.push_back(ConfirmedShipment());
    report.checks.push_back(ConfirmedEmail());
    report.checks.push_back(CancelledPayment());
    report.checks.push_back(CancelledEmail());
    report.checks.push_back(InFlightEffects());
    report.checks.push_back(StockConserved());
    report.checks.push_back(StockSold());
    report.checks.push_back(StockReserved());
    report.checks.push_back(ReservationStates());
    report.checks.push_back(LedgerAgreement());
    report.checks.push_back(OutboxDrained());
    report.checks.push_back(DeadLetters(report));
    report.summary = Summary();
    return report;
  }

 private:
  void Index() {
    if (data_.gateway) {
      for (const auto& a : *data_.gateway) facts_[a.order_id].accepted = &a;
    }
    if (data_.orders) {
      for (const auto& o : *data_.orders) facts_[o.order_id].order = &o;
    }
    if (data_.inventory) {
      for (const auto& r : data_.inventory->reservations) facts_[r.order_id].reservation = &r;
      for (const auto& id : data_.inventory->rejected_orders) facts_[id].rejected = true;
    }
    if (data_.payments) {
      for (const auto& p : *data_.payments) facts_[p.order_id].payment = &p;
    }
    if (data_.shipments) {
      for (const auto& s : *data_.shipments) facts_[s.order_id].shipment = &s;
    }
    if (data_.notifications) {
      for (const auto& n : *data_.notifications) facts_[n.order_id].notifications.push_back(&n);
    }
    if (data_.provider) {
      for (const auto& c : data_.provider->charges) {
        charges_[c.charge_id] = &c;
        (c.status == "captured" ? facts_[c.order_id].captures : facts_[c.order_id].declined).push_back(&c);
      }
      for (const auto& r : data_.provider->refunds) refunds_[r.charge_id].push_back(&r);
      for (const auto& e : data_.provider->emails) facts_[e.order_id].emails.push_back(&e);
    }
  }

  // Whether something that happened at `at_ms` may still be settling.
  bool Young(std::optional<std::int64_t> at_ms) const {
    if (!options_.in_flight) return false;
    if (!at_ms) return false;
    return data_.now_ms - *at_ms < options_.in_flight->count();
  }

  // The orders whose fate the audit is about: those the gateway accepted or, without the
  // gateway's store, those the order worker knows.
  bool InScope(const OrderFacts& f) const { return data_.gateway ? f.accepted != nullptr : f.order != nullptr; }

  static CheckResult Make(std::string name, std::string description, std::string unit) {
    CheckResult c;
    c.name = std::move(name);
    c.description = std::move(description);
    c.unit = std::move(unit);
    return c;
  }

  static CheckResult Skipped(CheckResult c, std::string why) {
    c.status = CheckStatus::kSkipped;
    c.note = std::move(why);
    return c;
  }

  static CheckResult Finish(CheckResult c) {
    if (!c.offenders.empty()) c.status = CheckStatus::kViolation;
    return c;
  }

  CheckResult OrdersKnown() {
    CheckResult c = Make("orders.known", "every order the gateway accepted is known to the order worker", "orders");
    if (!data_.gateway) return Skipped(c, "no gateway store");
    if (!data_.orders) return Skipped(c, "no order store");
    for (const auto& [id, f] : facts_) {
      if (!f.accepted) continue;
      ++c.checked;
      if (f.order) continue;
      if (Young(f.accepted->created_at_ms)) {
        ++c.tolerated;
      } else {
        c.offenders.push_back({id, "unknown to the order worker, accepted " +
                                       AgeText(data_.now_ms, f.accepted->created_at_ms) + " ago"});
      }
    }
    return Finish(c);
  }

  CheckResult OrdersTerminal() {
    CheckResult c = Make("orders.terminal", "every accepted order is CONFIRMED or CANCELLED", "orders");
    if (!data_.orders) return Skipped(c, "no order store");
    for (const auto& [id, f] : facts_) {
      if (!InScope(f) || !f.order) continue;
      ++c.checked;
      if (IsTerminal(*f.order)) continue;
      if (Young(f.CreatedMs())) {
        ++c.tolerated;
      } else {
        c.offenders.push_back({id, "still " + Lower(f.order->status) + " " + AgeText(data_.now_ms, f.CreatedMs()) +
                                       " after it was placed"});
      }
    }
    if (options_.in_flight) c.note = "orders younger than " + FormatAge(*options_.in_flight) + " may be moving";
    return Finish(c);
  }

  CheckResult UnacceptedEffects() {
    CheckResult c = Make("orders.accepted", "no state, charge, refund or e-mail for an order the gateway never accepted",
                         "orders");
    if (!data_.gateway) return Skipped(c, "no gateway store");
    for (const auto& [id, f] : facts_) {
      ++c.checked;
      if (f.accepted) continue;
      std::vector<std::string> where;
      if (f.order) where.push_back("order state");
      if (f.reservation) where.push_back("reservation");
      if (f.rejected) where.push_back("rejection");
      if (f.payment) where.push_back("payment record");
      if (f.shipment) where.push_back("shipment");
      if (!f.notifications.empty()) where.push_back("notification record");
      if (!f.captures.empty()) where.push_back(std::to_string(f.captures.size()) + " capture(s)");
      if (!f.declined.empty()) where.push_back(std::to_string(f.declined.size()) + " declined charge(s)");
      std::size_t refunds = 0;
      for (const ChargeRecord* ch : f.captures) refunds += RefundsOf(ch->charge_id).size();
      if (refunds > 0) where.push_back(std::to_string(refunds) + " refund(s)");
      if (!f.emails.empty()) where.push_back(std::to_string(f.emails.size()) + " e-mail(s)");
      std::string text;
      for (const auto& w : where) text += (text.empty() ? "" : ", ") + w;
      c.offenders.push_back({id, "never accepted by the gateway, yet has " + text});
    }
    return Finish(c);
  }

  const std::vector<const RefundRecord*>& RefundsOf(const std::string& charge_id) const {
    static const std::vector<const RefundRecord*> kNone;
    auto it = refunds_.find(charge_id);
    return it == refunds_.end() ? kNone : it->second;
  }

  CheckResult ConfirmedPayment() {
    CheckResult c = Make("confirmed.payment", "each CONFIRMED order has exactly one capture (of its total) and no refund",
                         "confirmed orders");
    if (!data_.orders) return Skipped(c, "no order store");
    if (!data_.provider) return Skipped(c, "no provider store");
    for (const auto& [id, f] : facts_) {
      if (!InScope(f) || !f.order || !IsConfirmed(*f.order)) continue;
      ++c.checked;
      std::vector<std::string> problems;
      // The capture precedes the confirmation and the ledger is read after the order
      // store: a missing capture is never "still in flight".
      if (f.captures.empty()) problems.push_back("no capture");
      if (f.captures.size() > 1) problems.push_back(std::to_string(f.captures.size()) + " captures");
      for (const ChargeRecord* ch : f.captures) {
        const auto& refunds = RefundsOf(ch->charge_id);
        if (!refunds.empty()) {
          std::int64_t sum = 0;
          for (const RefundRecord* r : refunds) sum += r->amount_minor;
          problems.push_back("refunded " + Money(sum) + " (" + std::to_string(refunds.size()) + " refund" +
                             (refunds.size() == 1 ? "" : "s") + ")");
        }
      }
      if (f.captures.size() == 1 && f.order->total_minor && f.captures[0]->amount_minor != *f.order->total_minor) {
        problems.push_back("captured " + Money(f.captures[0]->amount_minor) + ", order total " +
                           Money(*f.order->total_minor));
      }
      AddProblems(c, id, problems);
    }
    return Finish(c);
  }

  static void AddProblems(CheckResult& c, const std::string& id, const std::vector<std::string>& problems) {
    if (problems.empty()) return;
    std::string text;
    for (const auto& p : problems) text += (text.empty() ? "" : "; ") + p;
    c.offenders.push_back({id, text});
  }

  CheckResult ConfirmedShipment() {
    CheckResult c = Make("confirmed.shipment", "each CONFIRMED order has one scheduled shipment", "confirmed orders");
    if (!data_.orders) return Skipped(c, "no order store");
    if (!data_.shipments) return Skipped(c, "no shipping store");
    for (const auto& [id, f] : facts_) {
      if (!InScope(f) || !f.order || !IsConfirmed(*f.order)) continue;
      ++c.checked;
      if (!f.shipment) {
        c.offenders.push_back({id, "no shipment booked"});
      } else if (f.shipment->outcome != "scheduled") {
        c.offenders.push_back({id, "shipment " + f.shipment->outcome});
      }
    }
    return Finish(c);
  }

  // One e-mail of `wanted` and none of `unwanted`; a missing one may be on its way for an
  // order that became terminal recently.
  void CheckEmails(CheckResult& c, const std::string& id, const OrderFacts& f, const char* wanted,
                   const char* unwanted, const char* what) {
    ++c.checked;
    std::vector<std::string> problems;
    const std::size_t n = f.EmailCount(wanted);
    const std::size_t other = f.EmailCount(unwanted);
    bool tolerated = false;
    if (n == 0) {
      if (Young(f.order->changed_at_ms)) {
        tolerated = true;
      } else {
        problems.push_back(std::string("no ") + what + " e-mail");
      }
    }
    if (n > 1) problems.push_back(std::to_string(n) + " " + what + " e-mails");
    if (other > 0) problems.push_back(std::to_string(other) + " " + unwanted + " e-mail" + (other == 1 ? "" : "s"));
    if (tolerated && problems.empty()) ++c.tolerated;
    AddProblems(c, id, problems);
  }

  CheckResult ConfirmedEmail() {
    CheckResult c = Make("confirmed.email", "each CONFIRMED order got exactly one confirmation e-mail",
                         "confirmed orders");
    if (!data_.orders) return Skipped(c, "no order store");
    if (!data_.provider) return Skipped(c, "no provider store");
    for (const auto& [id, f] : facts_) {
      if (!InScope(f) || !f.order || !IsConfirmed(*f.order)) continue;
      CheckEmails(c, id, f, kConfirmationTemplate, kCancellationTemplate, "confirmation");
    }
    return Finish(c);
  }

  CheckResult CancelledPayment() {
    CheckResult c = Make("cancelled.payment",
                         "each CANCELLED order has no net charge: a capture is matched by exactly one refund of its amount",
                         "cancelled orders");
    if (!data_.orders) return Skipped(c, "no order store");
    if (!data_.provider) return Skipped(c, "no provider store");
    for (const auto& [id, f] : facts_) {
      if (!InScope(f) || !f.order || !IsCancelled(*f.order)) continue;
      ++c.checked;
      std::vector<std::string> problems;
      bool waiting = false;
      if (f.captures.size() > 1) problems.push_back(std::to_string(f.captures.size()) + " captures");
      for (const ChargeRecord* ch : f.captures) {
        const auto& refunds = RefundsOf(ch->charge_id);
        if (refunds.empty()) {
          // The refund follows the cancellation (or a capture that came late).
          if (Young(f.order->changed_at_ms) || Young(ch->created_at_ms)) {
            waiting = true;
          } else {
            problems.push_back("capture " + ch->charge_id + " of " + Money(ch->amount_minor) + " not refunded");
          }
          continue;
        }
        if (refunds.size() > 1) {
          problems.push_back("capture " + ch->charge_id + " refunded " + std::to_string(refunds.size()) + " times");
        }
        std::int64_t sum = 0;
        for (const RefundRecord* r : refunds) sum += r->amount_minor;
        if (refunds.size() == 1 && sum != ch->amount_minor) {
          problems.push_back("capture " + ch->charge_id + " of " + Money(ch->amount_minor) + " refunded " + Money(sum));
        }
      }
      if (waiting && problems.empty()) ++c.tolerated;
      AddProblems(c, id, problems);
    }
    return Finish(c);
  }

  CheckResult CancelledEmail() {
    CheckResult c = Make("cancelled.email", "each CANCELLED order got exactly one cancellation e-mail",
                         "cancelled orders");
    if (!data_.orders) return Skipped(c, "no order store");
    if (!data_.provider) return Skipped(c, "no provider store");
    for (const auto& [id, f] : facts_) {
      if (!InScope(f) || !f.order || !IsCancelled(*f.order)) continue;
      CheckEmails(c, id, f, kCancellationTemplate, kConfirmationTemplate, "cancellation");
    }
    return Finish(c);
  }

  CheckResult InFlightEffects() {
    CheckResult c = Make("effects.in_flight",
                         "orders not yet terminal have no duplicated effect (at most one capture, one refund per capture, "
                         "one e-mail of each kind)",
                         "orders in flight");
    if (!data_.provider) return Skipped(c, "no provider store");
    for (const auto& [id, f] : facts_) {
      if (!InScope(f) || (f.order && IsTerminal(*f.order))) continue;
      if (!data_.orders && !data_.gateway) continue;
      ++c.checked;
      std::vector<std::string> problems;
      if (f.captures.size() > 1) problems.push_back(std::to_string(f.captures.size()) + " captures");
      for (const ChargeRecord* ch : f.captures) {
        const std::size_t n = RefundsOf(ch->charge_id).size();
        if (n > 1) problems.push_back("capture " + ch->charge_id + " refunded " + std::to_string(n) + " times");
      }
      for (const char* t : {kConfirmationTemplate, kCancellationTemplate}) {
        const std::size_t n = f.EmailCount(t);
        if (n > 1) problems.push_back(std::to_string(n) + " " + t + " e-mails");
      }
      AddProblems(c, id, problems);
    }
    return Finish(c);
  }

  std::map<std::string, std::int64_t> SumReservations(std::string_view state) const {
    std::map<std::string, std::int64_t> sums;
    for (const auto& r : data_.inventory->reservations) {
      if (r.state != state) continue;
      for (const auto& [sku, q] : r.quantities) sums[sku] += q;
    }
    return sums;
  }

  CheckResult StockConserved() {
    CheckResult c = Make("stock.conserved", "per SKU, initial stock = available + reserved + sold", "SKUs");
    if (!data_.inventory) return Skipped(c, "no inventory store");
    std::set<std::string> in_store;
    for (const auto& s : data_.inventory->stock) {
      in_store.insert(s.sku);
      ++c.checked;
      std::vector<std::string> problems;
      std::int64_t initial = s.total;
      if (data_.catalog) {
        auto it = data_.catalog->find(s.sku);
        if (it == data_.catalog->end()) {
          problems.push_back("not in the catalog");
        } else {
          initial = it->second;
          if (s.total != initial) {
            problems.push_back("total " + std::to_string(s.total) + " != catalog " + std::to_string(initial));
          }
        }
      }
      const std::int64_t sum = s.available + s.reserved + s.sold;
      if (sum != initial) {
        problems.push_back("available " + std::to_string(s.available) + " + reserved " + std::to_string(s.reserved) +
                           " + sold " + std::to_string(s.sold) + " = " + std::to_string(sum) + " != initial " +
                           std::to_string(initial));
      }
      if (s.available < 0 || s.reserved < 0 || s.sold < 0) problems.push_back("negative counter");
      AddProblems(c, s.sku, problems);
    }
    if (data_.catalog) {
      for (const auto& [sku, stock] : *data_.catalog) {
        if (in_store.count(sku) == 0) {
          ++c.checked;
          c.offenders.push_back({sku, "in the catalog (" + std::to_string(stock) + ") but has no stock row"});
        }
      }
    } else {
      c.note = "no catalog file: inventory_stock.total taken as the initial stock";
    }
    return Finish(c);
  }

  CheckResult StockSold() {
    CheckResult c = Make("stock.sold", "per SKU, sold = quantities of committed reservations", "SKUs");
    if (!data_.inventory) return Skipped(c, "no inventory store");
    CompareCounter(c, SumReservations("committed"), "sold", &StockRecord::sold);
    return Finish(c);
  }

  CheckResult StockReserved() {
    CheckResult c = Make("stock.reserved", "per SKU, reserved = quantities of held reservations", "SKUs");
    if (!data_.inventory) return Skipped(c, "no inventory store");
    CompareCounter(c, SumReservations("held"), "reserved", &StockRecord::reserved);
    return Finish(c);
  }

  void CompareCounter(CheckResult& c, const std::map<std::string, std::int64_t>& expected, const char* what,
                      std::int64_t StockRecord::*counter) {
    std::set<std::string> seen;
    for (const auto& s : data_.inventory->stock) {
      seen.insert(s.sku);
      ++c.checked;
      auto it = expected.find(s.sku);
      const std::int64_t want = it == expected.end() ? 0 : it->second;
      if (s.*counter != want) {
        c.offenders.push_back({s.sku, std::string(what) + " " + std::to_string(s.*counter) + " != " +
                                          std::to_string(want) + " in " + (std::string(what) == "sold" ? "committed" : "held") +
                                          " reservations"});
      }
    }
    for (const auto& [sku, q] : expected) {
      if (seen.count(sku) == 0) c.offenders.push_back({sku, std::to_string(q) + " units in reservations, no stock row"});
    }
  }

  CheckResult ReservationStates() {
    CheckResult c = Make("reservations.state",
                         "no reservation is both committed and released; each agrees with its order and shipment",
                         "reservations");
    if (!data_.inventory) return Skipped(c, "no inventory store");
    for (const auto& [id, f] : facts_) {
      const ReservationRecord* r = f.reservation;
      const bool confirmed = f.order && IsConfirmed(*f.order);
      if (!r) {
        if (confirmed && data_.orders && InScope(f)) {
          ++c.checked;
          c.offenders.push_back({id, "order confirmed without a reservation"});
        }
        continue;
      }
      ++c.checked;
      std::vector<std::string> problems;
      if (r->state != "held" && r->state != "committed" && r->state != "released") {
        problems.push_back("unknown state '" + r->state + "'");
      }
      if (r->state == "committed" && r->release_reason) {
        problems.push_back("committed and released (" + *r->release_reason + ")");
      }
      if (r->state == "released" && !r->release_reason) problems.push_back("released without a reason");
      if (r->state == "held" && r->release_reason) problems.push_back("held with release reason " + *r->release_reason);
      if (r->quantities.empty()) problems.push_back("no lines");
      if (r->state == "released" && f.shipment && f.shipment->outcome == "scheduled") {
        problems.push_back("released (" + r->release_reason.value_or("?") +
                           ") although its shipment is scheduled: committed and released");
      }
      bool waiting = false;
      if (f.order && data_.orders) {
        // Inventory is read after the order store and commits before the confirmation:
        // a confirmed order's reservation is committed, no tolerance.
        if (confirmed && r->state != "committed") problems.push_back("order confirmed, reservation " + r->state);
        if (IsCancelled(*f.order) && r->state != "released") {
          // Order and inventory react to the same cancelling event in parallel.
          if (Young(f.order->changed_at_ms)) {
            waiting = true;
          } else {
            problems.push_back("order cancelled, reservation still " + r->state);
          }
        }
      }
      if (waiting && problems.empty()) ++c.tolerated;
      AddProblems(c, id, problems);
    }
    return Finish(c);
  }

  CheckResult LedgerAgreement() {
    CheckResult c = Make("ledger.agreement",
                         "the payment and notification workers' records match the provider's ledger", "records");
    if (!data_.provider) return Skipped(c, "no provider store");
    if (!data_.payments && !data_.notifications) return Skipped(c, "no payment or notification store");
    std::set<std::string> refund_ids;
    for (const auto& r : data_.provider->refunds) refund_ids.insert(r.refund_id);
    if (data_.payments) {
      std::set<std::string> recorded_charges, recorded_refunds;
      for (const auto& p : *data_.payments) {
        recorded_charges.insert(p.charge_id);
        if (p.refund_id) recorded_refunds.insert(*p.refund_id);
        if (p.status != "captured") continue;
        ++c.checked;
        auto it = charges_.find(p.charge_id);
        if (it == charges_.end() || it->second->status != "captured") {
          c.offenders.push_back({p.order_id, "payment record says captured " + p.charge_id +
                                                 ", the provider has no such capture"});
        } else if (it->second->amount_minor != p.amount_minor || it->second->order_id != p.order_id) {
          c.offenders.push_back({p.order_id, "payment record " + p.charge_id + " (" + Money(p.amount_minor) +
                                                 ") disagrees with the provider (" + it->second->order_id + ", " +
                                                 Money(it->second->amount_minor) + ")"});
        }
        if (p.refund_id && refund_ids.count(*p.refund_id) == 0) {
          c.offenders.push_back({p.order_id, "payment record says refunded " + *p.refund_id +
                                                 ", the provider has no such refund"});
        }
      }
      for (const auto& ch : data_.provider->charges) {
        if (ch.status != "captured") continue;
        ++c.checked;
        // The payment worker records the capture after the provider call; a crash in
        // between is repaired by its retry (same idempotency key).
        if (recorded_charges.count(ch.charge_id) == 0 && !Young(ch.created_at_ms)) {
          c.offenders.push_back({ch.order_id, "provider capture " + ch.charge_id + " unknown to the payment worker"});
        }
      }
      for (const auto& r : data_.provider->refunds) {
        ++c.checked;
        if (recorded_refunds.count(r.refund_id) == 0 && !Young(r.created_at_ms)) {
          auto it = charges_.find(r.charge_id);
          c.offenders.push_back({it == charges_.end() ? r.charge_id : it->second->order_id,
                                 "provider refund " + r.refund_id + " unknown to the payment worker"});
        }
      }
    }
    if (data_.notifications) {
      std::set<std::string> email_ids, recorded;
      for (const auto& e : data_.provider->emails) email_ids.insert(e.email_id);
      for (const auto& n : *data_.notifications) {
        ++c.checked;
        recorded.insert(n.provider_message_id);
        if (email_ids.count(n.provider_message_id) == 0) {
          c.offenders.push_back({n.order_id, n.kind + " e-mail " + n.provider_message_id + " not in the provider's ledger"});
        }
      }
      for (const auto& e : data_.provider->emails) {
        ++c.checked;
        if (recorded.count(e.email_id) == 0 && !Young(e.created_at_ms)) {
          c.offenders.push_back({e.order_id, "provider e-mail " + e.email_id + " (" + e.template_name +
                                                 ") unknown to the notification worker"});
        }
      }
    }
    return Finish(c);
  }

  CheckResult OutboxDrained() {
    CheckResult c = Make("outbox.drained", "no pending rows in any store's outbox", "outboxes");
    if (data_.outboxes.empty()) return Skipped(c, "no component stores");
    for (const auto& o : data_.outboxes) {
      ++c.checked;
      if (o.pending == 0) continue;
      const bool all_young = std::all_of(o.pending_created_ms.begin(), o.pending_created_ms.end(),
                                         [&](std::int64_t at) { return Young(at); });
      if (all_young && !o.pending_created_ms.empty()) {
        ++c.tolerated;
        continue;
      }
      std::string text = std::to_string(o.pending) + " pending, oldest " +
                         AgeText(data_.now_ms, o.oldest_pending_created_ms) + " old";
      if (o.failing > 0) text += ", " + std::to_string(o.failing) + " failed at least once";
      c.offenders.push_back({o.components, text});
    }
    return Finish(c);
  }

  CheckResult DeadLetters(AuditReport& report) {
    CheckResult c = Make("dlq.empty", "no message in a dead-letter queue (each one is listed with its reason)",
                         "messages");
    if (!data_.dlq) return Skipped(c, "the dead-letter queues were not read");
    report.dead_letters = data_.dlq->messages;
    c.checked = data_.dlq->messages.size() + data_.dlq->unread;
    for (const auto& m : data_.dlq->messages) {
      std::string order = m.correlation_id.empty() ? "" : " order " + m.correlation_id;
      c.offenders.push_back({m.message_id, m.queue + ": " + (m.event_type.empty() ? "?" : m.event_type) + order + ", " +
                                               (m.error_class.empty() ? "?" : m.error_class) + ": " + m.error_message});
    }
    c.note = std::to_string(data_.dlq->queues) + " dead-letter queue" + (data_.dlq->queues == 1 ? "" : "s");
    if (data_.dlq->unread > 0) {
      c.note += ", " + std::to_string(data_.dlq->unread) + " more messages not read";
      if (c.offenders.empty()) c.offenders.push_back({"(unread)", std::to_string(data_.dlq->unread) + " messages"});
    }
    if (!c.offenders.empty()) c.status = options_.fail_on_dlq ? CheckStatus::kViolation : CheckStatus::kWarning;
    return c;
  }

  AuditSummary Summary() const {
    AuditSummary s;
    if (data_.gateway) s.orders_accepted = data_.gateway->size();
    if (data_.orders) {
      s.orders_known = data_.orders->size();
      if (!data_.gateway) s.orders_accepted = s.orders_known;
    }
    for (const auto& [id, f] : facts_) {
      if (!InScope(f)) continue;
      if (f.order && IsConfirmed(*f.order)) {
        ++s.confirmed;
      } else if (f.order && IsCancelled(*f.order)) {
        ++s.cancelled;
        ++s.cancelled_by_reason[f.order->reason.value_or("unknown")];
      } else if (data_.orders) {
        ++s.in_flight;
      }
    }
    if (data_.provider) {
      for (const auto& ch : data_.provider->charges) {
        if (ch.status == "captured") {
          ++s.captures;
          s.captured_minor += ch.amount_minor;
        } else {
          ++s.declined_charges;
        }
      }
      s.refunds = data_.provider->refunds.size();
      for (const auto& r : data_.provider->refunds) s.refunded_minor += r.amount_minor;
      s.emails = data_.provider->emails.size();
      for (const auto& e : data_.provider->emails) ++s.emails_by_template[e.template_name];
    }
    if (data_.shipments) {
      for (const auto& b : *data_.shipments) (b.outcome == "scheduled" ? s.shipments_scheduled : s.shipments_rejected)++;
    }
    if (data_.inventory) {
      for (const auto& st : data_.inventory->stock) {
        s.units_sold += st.sold;
        s.units_reserved += st.reserved;
      }
    }
    for (const auto& o : data_.outboxes) s.outbox_pending += o.pending;
    if (data_.dlq) s.dlq_messages = data_.dlq->messages.size() + data_.dlq->unread;
    return s;
  }

  const AuditData& data_;
  const AuditOptions& options_;
  std::map<std::string, OrderFacts> facts_;  // by order id: sorted, so reports are stable
  std::map<std::string, const ChargeRecord*> charges_;
  std::map<std::string, std::vector<const RefundRecord*>> refunds_;  // by charge id
};

// ---------------------------------------------------------------------------------------
// Output

constexpr std::size_t kOffendersInline = 3;
constexpr std::size_t kDeadLettersShown = 50;

std::string Counted(std::size_t n, const std::string& unit) {
  return std::to_string(n) + " " + unit;
}

std::string Pad(const std::string& text, std::size_t width) {
  return text.size() >= width ? text : text + std::string(width - text.size(), ' ');
}

std::string Cut(std::string text, std::size_t width) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  if (text.size() <= width) return text;
  return text.substr(0, width - 3) + "...";
}

std::string Detail(const CheckResult& c) {
  std::ostringstream out;
  switch (c.status) {
    case CheckStatus::kSkipped:
      out << c.note;
      return out.str();
    case CheckStatus::kOk:
      out << Counted(c.checked, c.unit) << " checked";
      if (c.tolerated > 0) out << ", " << c.tolerated << " still in flight";
      return out.str();
    case CheckStatus::kViolation:
    case CheckStatus::kWarning:
      break;
  }
  out << c.offenders.size() << " of " << Counted(c.checked, c.unit);
  if (c.tolerated > 0) out << " (" << c.tolerated << " more in flight)";
  out << ": ";
  for (std::size_t i = 0; i < c.offenders.size() && i < kOffendersInline; ++i) {
    out << (i == 0 ? "" : ", ") << c.offenders[i].id << " (" << c.offenders[i].problem << ")";
  }
  if (c.offenders.size() > kOffendersInline) out << ", +" << c.offenders.size() - kOffendersInline << " more";
  return out.str();
}

std::string ByKey(const std::map<std::string, std::size_t>& counts) {
  std::string text;
  for (const auto& [k, n] : counts) text += (text.empty() ? "" : ", ") + k + " " + std::to_string(n);
  return text;
}

}  // namespace

const char* ToString(CheckStatus status) {
  switch (status) {
    case CheckStatus::kOk: return "OK";
    case CheckStatus::kViolation: return "VIOLATION";
    case CheckStatus::kWarning: return "WARNING";
    case CheckStatus::kSkipped: return "SKIPPED";
  }
  return "?";
}

std::size_t AuditReport::Violations() const {
  return static_cast<std::size_t>(std::count_if(checks.begin(), checks.end(), [](const CheckResult& c) {
    return c.status == CheckStatus::kViolation;
  }));
}

std::string DefaultStoreUrl(const std::string& var_dir, const std::string& component) {
  std::string dir = var_dir.empty() ? "var" : var_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return "sqlite:" + dir + "/data/" + component + ".db";
}

AuditData LoadAuditData(const AuditSources& sources) {
  AuditData data;
  auto url_of = [&](const std::string& component) -> std::string {
    auto it = sources.stores.find(component);
    return it == sources.stores.end() ? std::string() : it->second;
  };
  for (const char* component : kAuditComponents) {
    const std::string url = url_of(component);
    data.sources.push_back(Pad(component, 13) + (url.empty() ? "(left out)" : secrets::RedactUrl(url)));
  }
  // Open every store first, so a wrong URL fails before anything is read.
  for (const char* component : kAuditComponents) {
    if (!url_of(component).empty()) OpenStore(component, url_of(component));
  }
  // The catalog is no store; read it before the snapshot starts.
  if (sources.catalog_path) data.catalog = ReadCatalog(*sources.catalog_path);

  // Downstream first, the gateway last (see audit.hpp).
  if (auto url = url_of("order"); !url.empty()) {
    ReadStore("order", url, [&](store::Tx& tx) { data.orders = ReadOrders(tx); });
  }
  if (auto url = url_of("inventory"); !url.empty()) {
    ReadStore("inventory", url, [&](store::Tx& tx) { data.inventory = ReadInventory(tx); });
  }
  if (auto url = url_of("payment"); !url.empty()) {
    ReadStore("payment", url, [&](store::Tx& tx) { data.payments = ReadPayments(tx); });
  }
  if (auto url = url_of("shipping"); !url.empty()) {
    ReadStore("shipping", url, [&](store::Tx& tx) { data.shipments = ReadShipments(tx); });
  }
  if (auto url = url_of("notification"); !url.empty()) {
    ReadStore("notification", url, [&](store::Tx& tx) { data.notifications = ReadNotifications(tx); });
  }
  if (auto url = url_of("provider"); !url.empty()) {
    ReadStore("provider", url, [&](store::Tx& tx) { data.provider = ReadProvider(tx); });
  }
  if (auto url = url_of("gateway"); !url.empty()) {
    ReadStore("gateway", url, [&](store::Tx& tx) { data.gateway = ReadGateway(tx); });
  }
  // Outboxes after the state they publish; components sharing one database share one
  // outbox table, read once. The provider has no outbox.
  std::vector<std::pair<std::string, std::string>> outboxes;  // url, components
  for (const char* component : kAuditComponents) {
    const std::string url = url_of(component);
    if (url.empty() || std::string(component) == "provider") continue;
    auto it = std::find_if(outboxes.begin(), outboxes.end(), [&](const auto& o) { return o.first == url; });
    if (it == outboxes.end()) {
      outboxes.emplace_back(url, component);
    } else {
      it->second += std::string(",") + component;
    }
  }
  for (const auto& [url, components] : outboxes) {
    OutboxRecord record;
    record.components = components;
    ReadStore(components, url, [&](store::Tx& tx) { ReadOutbox(tx, record); });
    data.outboxes.push_back(std::move(record));
  }
  if (sources.broker) {
    ReadDeadLetters(*sources.broker, sources.dlq_limit_per_queue, data);
  } else {
    data.warnings.push_back("the dead-letter queues were not read (--no-broker)");
  }
  data.now_ms = std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  return data;
}

AuditReport Audit(const AuditData& data, const AuditOptions& options) { return Checker(data, options).Run(); }

void WriteAuditText(std::ostream& out, const AuditReport& report, bool verbose) {
  const auto at = contracts::Millis(milliseconds(report.now_ms));
  out << "choreo audit at " << contracts::FormatRfc3339(at);
  if (report.in_flight) {
    out << " (orders and outbox rows younger than " << FormatAge(*report.in_flight) << " may be in flight)";
  } else {
    out << " (nothing may be in flight)";
  }
  out << "\n";
  for (const auto& s : report.sources) out << "  " << s << "\n";
  out << "\n";
  std::size_t name_width = 0;
  for (const auto& c : report.checks) name_width = std::max(name_width, c.name.size());
  for (const auto& c : report.checks) {
    out << Pad(ToString(c.status), 10) << Pad(c.name, name_width + 2) << Detail(c) << "\n";
    const bool list_all = verbose && (c.status == CheckStatus::kViolation || c.status == CheckStatus::kWarning);
    if (list_all && c.name != "dlq.empty") {
      for (const auto& o : c.offenders) out << "            " << o.id << ": " << o.problem << "\n";
    }
  }
  if (!report.dead_letters.empty()) {
    out << "\nDead letters (" << report.dead_letters.size() << "):\n";
    std::vector<std::vector<std::string>> rows;
    const std::size_t shown = verbose ? report.dead_letters.size() : std::min(report.dead_letters.size(), kDeadLettersShown);
    std::size_t widths[4] = {5, 10, 4, 5};
    for (std::size_t i = 0; i < shown; ++i) {
      const auto& m = report.dead_letters[i];
      rows.push_back({m.queue, m.message_id.empty() ? "-" : m.message_id, m.event_type.empty() ? "-" : m.event_type,
                      m.correlation_id.empty() ? "-" : m.correlation_id,
                      (m.error_class.empty() ? "?" : m.error_class) + ": " + Cut(m.error_message, 100)});
      for (std::size_t k = 0; k < 4; ++k) widths[k] = std::max(widths[k], rows.back()[k].size());
    }
    auto line = [&](const std::vector<std::string>& r) {
      out << "  ";
      for (std::size_t k = 0; k < 4; ++k) out << Pad(r[k], widths[k] + 2);
      out << r[4] << "\n";
    };
    line({"QUEUE", "MESSAGE ID", "TYPE", "ORDER", "REASON"});
    for (const auto& r : rows) line(r);
    if (shown < report.dead_letters.size()) {
      out << "  ... " << report.dead_letters.size() - shown << " more (--verbose or --json lists all)\n";
    }
  }
  for (const auto& w : report.warnings) out << "\nwarning: " << w;
  if (!report.warnings.empty()) out << "\n";

  const AuditSummary& s = report.summary;
  out << "\nSummary\n";
  out << "  orders     " << s.orders_accepted << " accepted, " << s.confirmed << " confirmed, " << s.cancelled
      << " cancelled";
  if (!s.cancelled_by_reason.empty()) out << " (" << ByKey(s.cancelled_by_reason) << ")";
  out << ", " << s.in_flight << " not terminal\n";
  out << "  payments   " << s.captures << " captures (" << Money(s.captured_minor) << "), " << s.refunds << " refunds ("
      << Money(s.refunded_minor) << "), " << s.declined_charges << " declined\n";
  out << "  e-mails    " << s.emails;
  if (!s.emails_by_template.empty()) out << " (" << ByKey(s.emails_by_template) << ")";
  out << "\n";
  out << "  shipments  " << s.shipments_scheduled << " scheduled, " << s.shipments_rejected << " rejected\n";
  out << "  stock      " << s.units_sold << " units sold, " << s.units_reserved << " reserved\n";
  out << "  outboxes   " << s.outbox_pending << " pending rows\n";
  out << "  DLQs       " << s.dlq_messages << " messages\n";

  const std::size_t violations = report.Violations();
  std::size_t skipped = 0, warnings = 0;
  std::string failed;
  for (const auto& c : report.checks) {
    if (c.status == CheckStatus::kSkipped) ++skipped;
    if (c.status == CheckStatus::kWarning) ++warnings;
    if (c.status == CheckStatus::kViolation) failed += (failed.empty() ? "" : ", ") + c.name;
  }
  out << "\n";
  if (violations > 0) {
    out << "Result: VIOLATION - " << violations << " of " << report.checks.size() << " checks failed: " << failed
        << "\n";
  } else {
    out << "Result: OK - " << report.checks.size() - skipped - warnings << " checks passed";
    if (warnings > 0) out << ", " << warnings << " warning" << (warnings == 1 ? "" : "s");
    if (skipped > 0) out << ", " << skipped << " skipped";
    out << "\n";
  }
}

std::string AuditJson(const AuditReport& report) {
  json j;
  j["ok"] = report.Clean();
  j["violations"] = report.Violations();
  j["at"] = contracts::FormatRfc3339(contracts::Millis(milliseconds(report.now_ms)));
  j["in_flight_allowed_ms"] = report.in_flight ? json(report.in_flight->count()) : json(nullptr);
  j["sources"] = report.sources;
  j["checks"] = json::array();
  for (const auto& c : report.checks) {
    json e;
    e["name"] = c.name;
    e["description"] = c.description;
    e["status"] = Lower(ToString(c.status));
    e["checked"] = c.checked;
    e["unit"] = c.unit;
    e["tolerated"] = c.tolerated;
    e["offending"] = c.offenders.size();
    if (!c.note.empty()) e["note"] = c.note;
    e["offenders"] = json::array();
    for (const auto& o : c.offenders) e["offenders"].push_back({{"id", o.id}, {"problem", o.problem}});
    j["checks"].push_back(std::move(e));
  }
  const AuditSummary& s = report.summary;
  j["summary"] = {{"orders_accepted", s.orders_accepted},
                  {"orders_known", s.orders_known},
                  {"confirmed", s.confirmed},
                  {"cancelled", s.cancelled},
                  {"cancelled_by_reason", s.cancelled_by_reason},
                  {"not_terminal", s.in_flight},
                  {"captures", s.captures},
                  {"captured_minor", s.captured_minor},
                  {"declined_charges", s.declined_charges},
                  {"refunds", s.refunds},
                  {"refunded_minor", s.refunded_minor},
                  {"emails", s.emails},
                  {"emails_by_template", s.emails_by_template},
                  {"shipments_scheduled", s.shipments_scheduled},
                  {"shipments_rejected", s.shipments_rejected},
                  {"units_sold", s.units_sold},
                  {"units_reserved", s.units_reserved},
                  {"outbox_pending", s.outbox_pending},
                  {"dlq_messages", s.dlq_messages}};
  j["dead_letters"] = json::array();
  for (const auto& m : report.dead_letters) {
    j["dead_letters"].push_back({{"queue", m.queue},
                                 {"message_id", m.message_id},
                                 {"event_type", m.event_type},
                                 {"order_id", m.correlation_id},
                                 {"error_class", m.error_class},
                                 {"error_message", m.error_message},
                                 {"worker", m.worker},
                                 {"dead_lettered_at", m.dead_lettered_at}});
  }
  j["warnings"] = report.warnings;
  return j.dump(2, ' ', false, json::error_handler_t::replace);
}

}  // namespace choreo::admin
