// The workers' records against the provider's ledger (ledger.agreement), the outboxes
// (outbox.drained) and the dead-letter queues (dlq.empty).
#include <algorithm>
#include <set>

#include "audit/checks.hpp"

namespace choreo::admin::audit {

CheckResult LedgerAgreement(const AuditContext& a) {
  CheckResult c = MakeCheck("ledger.agreement",
                            "the payment and notification workers' records match the provider's ledger", "records");
  if (!a.data.provider) return Skipped(c, "no provider store");
  if (!a.data.payments && !a.data.notifications) return Skipped(c, "no payment or notification store");
  std::set<std::string> refund_ids;
  for (const auto& r : a.data.provider->refunds) refund_ids.insert(r.refund_id);
  if (a.data.payments) {
    std::set<std::string> recorded_charges, recorded_refunds;
    for (const auto& p : *a.data.payments) {
      recorded_charges.insert(p.charge_id);
      if (p.refund_id) recorded_refunds.insert(*p.refund_id);
      if (p.status != "captured") continue;
      ++c.checked;
      auto it = a.Charges().find(p.charge_id);
      if (it == a.Charges().end() || it->second->status != "captured") {
        c.offenders.push_back(
            {p.order_id, "payment record says captured " + p.charge_id + ", the provider has no such capture"});
      } else if (it->second->amount_minor != p.amount_minor || it->second->order_id != p.order_id) {
        c.offenders.push_back({p.order_id, "payment record " + p.charge_id + " (" + Money(p.amount_minor) +
                                               ") disagrees with the provider (" + it->second->order_id + ", " +
                                               Money(it->second->amount_minor) + ")"});
      }
      if (p.refund_id && refund_ids.count(*p.refund_id) == 0) {
        c.offenders.push_back(
            {p.order_id, "payment record says refunded " + *p.refund_id + ", the provider has no such refund"});
      }
    }
    for (const auto& ch : a.data.provider->charges) {
      if (ch.status != "captured") continue;
      ++c.checked;
      // The payment worker records the capture after the provider call; a crash in
      // between is repaired by its retry (same idempotency key).
      if (recorded_charges.count(ch.charge_id) == 0 && !a.Young(ch.created_at_ms)) {
        c.offenders.push_back({ch.order_id, "provider capture " + ch.charge_id + " unknown to the payment worker"});
      }
    }
    for (const auto& r : a.data.provider->refunds) {
      ++c.checked;
      if (recorded_refunds.count(r.refund_id) == 0 && !a.Young(r.created_at_ms)) {
        auto it = a.Charges().find(r.charge_id);
        c.offenders.push_back({it == a.Charges().end() ? r.charge_id : it->second->order_id,
                               "provider refund " + r.refund_id + " unknown to the payment worker"});
      }
    }
  }
  if (a.data.notifications) {
    std::set<std::string> email_ids, recorded;
    for (const auto& e : a.data.provider->emails) email_ids.insert(e.email_id);
    for (const auto& n : *a.data.notifications) {
      ++c.checked;
      recorded.insert(n.provider_message_id);
      if (email_ids.count(n.provider_message_id) == 0) {
        c.offenders.push_back(
            {n.order_id, n.kind + " e-mail " + n.provider_message_id + " not in the provider's ledger"});
      }
    }
    for (const auto& e : a.data.provider->emails) {
      ++c.checked;
      if (recorded.count(e.email_id) == 0 && !a.Young(e.created_at_ms)) {
        c.offenders.push_back({e.order_id, "provider e-mail " + e.email_id + " (" + e.template_name +
                                               ") unknown to the notification worker"});
      }
    }
  }
  return Finish(c);
}

CheckResult OutboxDrained(const AuditContext& a) {
  CheckResult c = MakeCheck("outbox.drained", "no pending rows in any store's outbox", "outboxes");
  if (a.data.outboxes.empty()) return Skipped(c, "no component stores");
  for (const auto& o : a.data.outboxes) {
    ++c.checked;
    if (o.pending == 0) continue;
    const bool all_young = std::all_of(o.pending_created_ms.begin(), o.pending_created_ms.end(),
                                       [&](std::int64_t at) { return a.Young(at); });
    if (all_young && !o.pending_created_ms.empty()) {
      ++c.tolerated;
      continue;
    }
    std::string text =
        std::to_string(o.pending) + " pending, oldest " + AgeText(a.data.now_ms, o.oldest_pending_created_ms) + " old";
    if (o.failing > 0) text += ", " + std::to_string(o.failing) + " failed at least once";
    c.offenders.push_back({o.components, text});
  }
  return Finish(c);
}

CheckResult DeadLetters(const AuditContext& a) {
  CheckResult c =
      MakeCheck("dlq.empty", "no message in a dead-letter queue (each one is listed with its reason)", "messages");
  if (!a.data.dlq) return Skipped(c, "the dead-letter queues were not read");
  c.checked = a.data.dlq->messages.size() + a.data.dlq->unread;
  for (const auto& m : a.data.dlq->messages) {
    std::string order = m.correlation_id.empty() ? "" : " order " + m.correlation_id;
    c.offenders.push_back({m.message_id, m.queue + ": " + (m.event_type.empty() ? "?" : m.event_type) + order + ", " +
                                             (m.error_class.empty() ? "?" : m.error_class) + ": " + m.error_message});
  }
  c.note = std::to_string(a.data.dlq->queues) + " dead-letter queue" + (a.data.dlq->queues == 1 ? "" : "s");
  if (a.data.dlq->unread > 0) {
    c.note += ", " + std::to_string(a.data.dlq->unread) + " more messages not read";
    if (c.offenders.empty()) c.offenders.push_back({"(unread)", std::to_string(a.data.dlq->unread) + " messages"});
  }
  if (!c.offenders.empty()) c.status = a.options.fail_on_dlq ? CheckStatus::kViolation : CheckStatus::kWarning;
  return c;
}

}  // namespace choreo::admin::audit
