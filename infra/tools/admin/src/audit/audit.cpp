// Audit(): every check in the report's order, and the totals of the summary.
#include <algorithm>

#include "audit/checks.hpp"

namespace choreo::admin {

namespace audit {

AuditSummary Summarize(const AuditContext& a) {
  AuditSummary s;
  if (a.data.gateway) s.orders_accepted = a.data.gateway->size();
  if (a.data.orders) {
    s.orders_known = a.data.orders->size();
    if (!a.data.gateway) s.orders_accepted = s.orders_known;
  }
  for (const auto& [id, f] : a.Orders()) {
    if (!a.InScope(f)) continue;
    if (f.order && IsConfirmed(*f.order)) {
      ++s.confirmed;
    } else if (f.order && IsCancelled(*f.order)) {
      ++s.cancelled;
      ++s.cancelled_by_reason[f.order->reason.value_or("unknown")];
    } else if (a.data.orders) {
      ++s.in_flight;
    }
  }
  if (a.data.provider) {
    for (const auto& ch : a.data.provider->charges) {
      if (ch.status == "captured") {
        ++s.captures;
        s.captured_minor += ch.amount_minor;
      } else {
        ++s.declined_charges;
      }
    }
    s.refunds = a.data.provider->refunds.size();
    for (const auto& r : a.data.provider->refunds) s.refunded_minor += r.amount_minor;
    s.emails = a.data.provider->emails.size();
    for (const auto& e : a.data.provider->emails) ++s.emails_by_template[e.template_name];
  }
  if (a.data.shipments) {
    for (const auto& b : *a.data.shipments) (b.outcome == "scheduled" ? s.shipments_scheduled : s.shipments_rejected)++;
  }
  if (a.data.inventory) {
    for (const auto& st : a.data.inventory->stock) {
      s.units_sold += st.sold;
      s.units_reserved += st.reserved;
    }
  }
  for (const auto& o : a.data.outboxes) s.outbox_pending += o.pending;
  if (a.data.dlq) s.dlq_messages = a.data.dlq->messages.size() + a.data.dlq->unread;
  return s;
}

}  // namespace audit

namespace {

using CheckFn = CheckResult (*)(const audit::AuditContext&);

// In the order of the report and of `choreo-admin audit --help`.
constexpr CheckFn kChecks[] = {
    audit::OrdersKnown,       audit::OrdersTerminal,  audit::UnacceptedEffects, audit::ConfirmedPayment,
    audit::ConfirmedShipment, audit::ConfirmedEmail,  audit::CancelledPayment,  audit::CancelledEmail,
    audit::InFlightEffects,   audit::StockConserved,  audit::StockSold,         audit::StockReserved,
    audit::ReservationStates, audit::LedgerAgreement, audit::OutboxDrained,     audit::DeadLetters,
};

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
  return static_cast<std::size_t>(std::count_if(
      checks.begin(), checks.end(), [](const CheckResult& c) { return c.status == CheckStatus::kViolation; }));
}

AuditReport Audit(const AuditData& data, const AuditOptions& options) {
  const audit::AuditContext a(data, options);
  AuditReport report;
  report.now_ms = data.now_ms;
  report.in_flight = options.in_flight;
  report.warnings = data.warnings;
  report.sources = data.sources;
  for (CheckFn check : kChecks) report.checks.push_back(check(a));
  if (data.dlq) report.dead_letters = data.dlq->messages;
  report.summary = audit::Summarize(a);
  return report;
}

}  // namespace choreo::admin
