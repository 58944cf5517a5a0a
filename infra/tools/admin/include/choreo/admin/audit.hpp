#pragma once
// `choreo-admin audit`: checks the delivery guarantees (docs/architecture.md, Delivery
// guarantees) across every component's store, the provider stand-in's ledger and the
// dead-letter queues.
//
// Two steps, so the checks are pure functions tested without any I/O:
//   LoadAuditData  reads the stores (and the DLQs) into plain structs;
//   Audit          runs every check on those structs and returns the report.
//
// The stores are read one after another, not in one snapshot, so on a running system the
// reads are skewed. LoadAuditData reads them downstream first and the gateway last: an
// effect seen in a store was caused by something that committed before it in a store read
// later, so the skew can only make work look unfinished (which --allow-in-flight
// tolerates for young orders), never make an effect look unexplained.
#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "choreo/admin/admin.hpp"
#include "choreo/gateway/facts.hpp"
#include "choreo/inventory/facts.hpp"
#include "choreo/notification/facts.hpp"
#include "choreo/order/facts.hpp"
#include "choreo/payment/facts.hpp"
#include "choreo/provider/facts.hpp"
#include "choreo/shipping/facts.hpp"

namespace choreo::admin {

// ---------------------------------------------------------------------------------------
// What the stores hold: each component's own read interface (its facts.hpp, tested by the
// component against its migrations), so the audit carries no copy of anyone's schema.

using gateway::facts::AcceptedOrder;
using order::facts::OrderRecord;
using inventory::facts::StockRecord, inventory::facts::ReservationRecord;
using InventoryData = inventory::facts::InventoryFacts;
using payment::facts::PaymentRecord;
using shipping::facts::ShipmentRecord;
using notification::facts::NotificationRecord;
using provider::facts::ChargeRecord, provider::facts::RefundRecord, provider::facts::EmailRecord;
using ProviderData = provider::facts::LedgerFacts;

struct OutboxRecord {  // the unsent rows of one store's outbox (outbox/facts.hpp)
  std::string components;  // "order", or "order,payment" when they share one database
  std::int64_t pending = 0;
  std::int64_t failing = 0;  // pending rows that failed at least once
  std::optional<std::int64_t> oldest_pending_created_ms;
  std::vector<std::int64_t> pending_created_ms;  // every pending row (for the in-flight age)
};

struct DeadLetterRecord {
  std::string queue;
  std::string message_id;
  std::string event_type;
  std::string correlation_id;  // the order id
  std::string error_class;
  std::string error_message;
  std::string worker;
  std::string dead_lettered_at;
};

struct DlqData {
  std::size_t queues = 0;  // dead-letter queues looked at
  std::vector<DeadLetterRecord> messages;
  std::size_t unread = 0;  // messages beyond the per-queue limit, counted but not read
};

// Everything the checks look at. An unset component was not given (skipped): the checks
// that need it report kSkipped.
struct AuditData {
  std::int64_t now_ms = 0;
  std::optional<std::vector<AcceptedOrder>> gateway;
  std::optional<std::vector<OrderRecord>> orders;
  std::optional<InventoryData> inventory;
  // Initial stock per SKU from the catalog file; unset: inventory_stock.total stands in.
  std::optional<std::map<std::string, std::int64_t>> catalog;
  std::optional<std::vector<PaymentRecord>> payments;
  std::optional<std::vector<ShipmentRecord>> shipments;
  std::optional<std::vector<NotificationRecord>> notifications;
  std::optional<ProviderData> provider;
  std::vector<OutboxRecord> outboxes;
  std::optional<DlqData> dlq;  // unset: --no-broker, or the broker could not be read
  std::vector<std::string> warnings;
  std::vector<std::string> sources;  // "gateway sqlite:var/data/gateway.db", for the report
};

// ---------------------------------------------------------------------------------------
// Where to read it from

// The components with a store, in the order the report names them.
inline constexpr const char* kAuditComponents[] = {"gateway",  "order",        "inventory", "payment",
                                                   "shipping", "notification", "provider"};

struct AuditSources {
  // Store URL per component name (kAuditComponents); a component absent or with an empty
  // URL is skipped.
  std::map<std::string, std::string> stores;
  std::optional<std::string> catalog_path;  // unset: initial stock = inventory_stock.total
  std::optional<Endpoints> broker;          // unset: the DLQs are not read
  std::size_t dlq_limit_per_queue = 10000;
};

// "sqlite:<var_dir>/data/<component>.db"
std::string DefaultStoreUrl(const std::string& var_dir, const std::string& component);

// Reads every given store (see the order above), the catalog and the DLQs. A broker that
// cannot be read becomes a warning. Throws UsageError for a malformed store URL, a SQLite
// file that does not exist or an unreadable catalog; CommandError for a store that cannot
// be opened or lacks the component's tables.
AuditData LoadAuditData(const AuditSources& sources);

// ---------------------------------------------------------------------------------------
// The checks

struct AuditOptions {
  // Set by --allow-in-flight: orders younger than this may still be moving (not terminal,
  // effects still missing, reservation not settled) and outbox rows younger than this may
  // be pending. Duplicated effects are violations whatever the age.
  std::optional<std::chrono::milliseconds> in_flight;
  // DLQ messages are listed (with a warning); with this they are a violation.
  bool fail_on_dlq = false;
};

inline constexpr std::chrono::milliseconds kDefaultInFlightAge = std::chrono::minutes(5);

enum class CheckStatus { kOk, kViolation, kWarning, kSkipped };
const char* ToString(CheckStatus status);

struct Offender {
  std::string id;       // order id, SKU, component, queue
  std::string problem;  // "2 captures", "available+reserved+sold 98 != initial 100"
};

struct CheckResult {
  std::string name;         // "confirmed.payment"
  std::string description;  // what must hold
  std::string unit;         // what `checked` counts: "orders", "SKUs", "outboxes", ...
  CheckStatus status = CheckStatus::kOk;
  std::size_t checked = 0;    // items examined (orders, SKUs, stores, messages)
  std::size_t tolerated = 0;  // in flight (--allow-in-flight)
  std::string note;           // why skipped, or a remark
  std::vector<Offender> offenders;  // every offending item, in a stable order
};

struct AuditSummary {
  std::size_t orders_accepted = 0;  // gateway_orders (or order_states without a gateway)
  std::size_t orders_known = 0;     // order_states
  std::size_t confirmed = 0;
  std::size_t cancelled = 0;
  std::map<std::string, std::size_t> cancelled_by_reason;
  std::size_t in_flight = 0;  // neither confirmed nor cancelled
  std::size_t captures = 0, declined_charges = 0;
  std::int64_t captured_minor = 0;
  std::size_t refunds = 0;
  std::int64_t refunded_minor = 0;
  std::size_t emails = 0;
  std::map<std::string, std::size_t> emails_by_template;
  std::size_t shipments_scheduled = 0, shipments_rejected = 0;
  std::int64_t units_sold = 0, units_reserved = 0;
  std::int64_t outbox_pending = 0;
  std::size_t dlq_messages = 0;
};

struct AuditReport {
  std::int64_t now_ms = 0;
  std::optional<std::chrono::milliseconds> in_flight;
  std::vector<CheckResult> checks;
  AuditSummary summary;
  std::vector<DeadLetterRecord> dead_letters;
  std::vector<std::string> warnings;
  std::vector<std::string> sources;

  std::size_t Violations() const;  // checks with kViolation
  bool Clean() const { return Violations() == 0; }
};

AuditReport Audit(const AuditData& data, const AuditOptions& options);

// The human report: one line per check, offenders (the first few), the dead letters, the
// summary and the verdict.
void WriteAuditText(std::ostream& out, const AuditReport& report, bool verbose = false);
// The same as JSON (every offender and every dead letter).
std::string AuditJson(const AuditReport& report);

}  // namespace choreo::admin
