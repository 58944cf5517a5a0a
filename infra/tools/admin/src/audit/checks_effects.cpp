// What a terminal order must have caused, exactly once: confirmed.payment,
// confirmed.shipment, confirmed.email, cancelled.payment, cancelled.email, and no
// duplicated effect for orders still in flight (effects.in_flight).
#include <algorithm>
#include <set>

#include "audit/checks.hpp"

namespace choreo::admin::audit {

namespace {

// Why a check of the orders against the provider's ledger cannot run, or nullptr.
const char* MissingOrdersOrLedger(const AuditContext& a) {
  if (!a.data.orders) return "no order store";
  if (!a.data.provider) return "no provider store";
  return nullptr;
}

// One e-mail of `wanted` and none of `unwanted`; a missing one may be on its way for an
// order that became terminal recently.
void CheckEmails(const AuditContext& a, CheckResult& c, const std::string& id, const OrderFacts& f, const char* wanted,
                 const char* unwanted, const char* what) {
  ++c.checked;
  std::vector<std::string> problems;
  const std::size_t n = f.EmailCount(wanted);
  const std::size_t other = f.EmailCount(unwanted);
  bool tolerated = false;
  if (n == 0) {
    if (a.Young(f.order->changed_at_ms)) {
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

// confirmed.email and cancelled.email: CheckEmails for every order in scope that ended as
// `ended` says.
CheckResult TerminalEmail(const AuditContext& a, CheckResult c, bool (*ended)(const OrderRecord&), const char* wanted,
                          const char* unwanted, const char* what) {
  if (const char* missing = MissingOrdersOrLedger(a)) return Skipped(c, missing);
  for (const auto& [id, f] : a.Orders()) {
    if (!a.InScope(f) || !f.order || !ended(*f.order)) continue;
    CheckEmails(a, c, id, f, wanted, unwanted, what);
  }
  return Finish(c);
}

}  // namespace

CheckResult ConfirmedPayment(const AuditContext& a) {
  CheckResult c =
      MakeCheck("confirmed.payment", "each CONFIRMED order has exactly one capture (of its total) and no refund",
                "confirmed orders");
  if (const char* missing = MissingOrdersOrLedger(a)) return Skipped(c, missing);
  for (const auto& [id, f] : a.Orders()) {
    if (!a.InScope(f) || !f.order || !IsConfirmed(*f.order)) continue;
    ++c.checked;
    std::vector<std::string> problems;
    // The capture precedes the confirmation and the ledger is read after the order
    // store: a missing capture is never "still in flight".
    if (f.captures.empty()) problems.push_back("no capture");
    if (f.captures.size() > 1) problems.push_back(std::to_string(f.captures.size()) + " captures");
    for (const ChargeRecord* ch : f.captures) {
      const auto& refunds = a.RefundsOf(ch->charge_id);
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

CheckResult ConfirmedShipment(const AuditContext& a) {
  CheckResult c =
      MakeCheck("confirmed.shipment", "each CONFIRMED order has one scheduled shipment", "confirmed orders");
  if (!a.data.orders) return Skipped(c, "no order store");
  if (!a.data.shipments) return Skipped(c, "no shipping store");
  for (const auto& [id, f] : a.Orders()) {
    if (!a.InScope(f) || !f.order || !IsConfirmed(*f.order)) continue;
    ++c.checked;
    if (!f.shipment) {
      c.offenders.push_back({id, "no shipment booked"});
    } else if (f.shipment->outcome != "scheduled") {
      c.offenders.push_back({id, "shipment " + f.shipment->outcome});
    }
  }
  return Finish(c);
}

CheckResult CancelledPayment(const AuditContext& a) {
  CheckResult c =
      MakeCheck("cancelled.payment",
                "each CANCELLED order has no net charge: a capture is matched by exactly one refund of its amount",
                "cancelled orders");
  if (const char* missing = MissingOrdersOrLedger(a)) return Skipped(c, missing);
  for (const auto& [id, f] : a.Orders()) {
    if (!a.InScope(f) || !f.order || !IsCancelled(*f.order)) continue;
    ++c.checked;
    bool waiting = false;
    std::vector<std::string> problems;
    if (f.captures.size() > 1) problems.push_back(std::to_string(f.captures.size()) + " captures");
    for (const ChargeRecord* ch : f.captures) {
      const auto& refunds = a.RefundsOf(ch->charge_id);
      if (refunds.empty()) {
        // The refund follows the cancellation (or a capture that came late).
        if (a.Young(f.order->changed_at_ms) || a.Young(ch->created_at_ms)) {
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

CheckResult InFlightEffects(const AuditContext& a) {
  CheckResult c =
      MakeCheck("effects.in_flight",
                "orders not yet terminal have no duplicated effect (at most one capture, one refund per capture, "
                "one e-mail of each kind)",
                "orders in flight");
  if (!a.data.provider) return Skipped(c, "no provider store");
  for (const auto& [id, f] : a.Orders()) {
    if (!a.InScope(f) || (f.order && IsTerminal(*f.order))) continue;
    if (!a.data.orders && !a.data.gateway) continue;
    ++c.checked;
    std::vector<std::string> problems;
    if (f.captures.size() > 1) problems.push_back(std::to_string(f.captures.size()) + " captures");
    for (const ChargeRecord* ch : f.captures) {
      const std::size_t n = a.RefundsOf(ch->charge_id).size();
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

CheckResult ConfirmedEmail(const AuditContext& a) {
  return TerminalEmail(
      a, MakeCheck("confirmed.email", "each CONFIRMED order got exactly one confirmation e-mail", "confirmed orders"),
      IsConfirmed, kConfirmationTemplate, kCancellationTemplate, "confirmation");
}

CheckResult CancelledEmail(const AuditContext& a) {
  return TerminalEmail(
      a, MakeCheck("cancelled.email", "each CANCELLED order got exactly one cancellation e-mail", "cancelled orders"),
      IsCancelled, kCancellationTemplate, kConfirmationTemplate, "cancellation");
}

}  // namespace choreo::admin::audit
