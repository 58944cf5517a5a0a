#pragma once
// The audit's checks (audit.hpp), one function each, on an index of everything known
// about each order. Every check reads AuditData only, through this context: no I/O.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "choreo/admin/audit.hpp"

namespace choreo::admin::audit {

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

  std::size_t EmailCount(std::string_view template_name) const;
  std::optional<std::int64_t> CreatedMs() const;
};

inline constexpr const char* kConfirmationTemplate = "order_confirmed";
inline constexpr const char* kCancellationTemplate = "order_cancelled";

std::string Lower(std::string text);
bool IsConfirmed(const OrderRecord& o);
bool IsCancelled(const OrderRecord& o);
bool IsTerminal(const OrderRecord& o);
// "25.00", "-3.50"
std::string Money(std::int64_t minor);
// How long ago `at_ms` was, or "unknown age".
std::string AgeText(std::int64_t now_ms, std::optional<std::int64_t> at_ms);

CheckResult MakeCheck(std::string name, std::string description, std::string unit);
CheckResult Skipped(CheckResult c, std::string why);
// kViolation when there are offenders.
CheckResult Finish(CheckResult c);
// One offender for `id` with every problem, "; "-separated; none when there are none.
void AddProblems(CheckResult& c, const std::string& id, const std::vector<std::string>& problems);

class AuditContext {
 public:
  AuditContext(const AuditData& data, const AuditOptions& options);

  const AuditData& data;
  const AuditOptions& options;
  // By order id: sorted, so reports are stable.
  const std::map<std::string, OrderFacts>& Orders() const { return facts_; }
  // By charge id.
  const std::map<std::string, const ChargeRecord*>& Charges() const { return charges_; }
  const std::vector<const RefundRecord*>& RefundsOf(const std::string& charge_id) const;

  // Whether something that happened at `at_ms` may still be settling (--allow-in-flight).
  bool Young(std::optional<std::int64_t> at_ms) const;
  // The orders whose fate the audit is about: those the gateway accepted or, without the
  // gateway's store, those the order worker knows.
  bool InScope(const OrderFacts& f) const;

 private:
  std::map<std::string, OrderFacts> facts_;
  std::map<std::string, const ChargeRecord*> charges_;
  std::map<std::string, std::vector<const RefundRecord*>> refunds_;  // by charge id
};

// In the order of the report (audit.hpp lists them with what each one means).
CheckResult OrdersKnown(const AuditContext& a);
CheckResult OrdersTerminal(const AuditContext& a);
CheckResult UnacceptedEffects(const AuditContext& a);
CheckResult ConfirmedPayment(const AuditContext& a);
CheckResult ConfirmedShipment(const AuditContext& a);
CheckResult ConfirmedEmail(const AuditContext& a);
CheckResult CancelledPayment(const AuditContext& a);
CheckResult CancelledEmail(const AuditContext& a);
CheckResult InFlightEffects(const AuditContext& a);
CheckResult StockConserved(const AuditContext& a);
CheckResult StockSold(const AuditContext& a);
CheckResult StockReserved(const AuditContext& a);
CheckResult ReservationStates(const AuditContext& a);
CheckResult LedgerAgreement(const AuditContext& a);
CheckResult OutboxDrained(const AuditContext& a);
CheckResult DeadLetters(const AuditContext& a);

AuditSummary Summarize(const AuditContext& a);

}  // namespace choreo::admin::audit
