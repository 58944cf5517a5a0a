// The index the checks share, and the helpers that word their results.
#include <algorithm>
#include <iomanip>
#include <sstream>

#include "audit/checks.hpp"

namespace choreo::admin::audit {

std::size_t OrderFacts::EmailCount(std::string_view template_name) const {
  return static_cast<std::size_t>(std::count_if(
      emails.begin(), emails.end(), [&](const EmailRecord* e) { return e->template_name == template_name; }));
}

std::optional<std::int64_t> OrderFacts::CreatedMs() const {
  if (accepted) return accepted->created_at_ms;
  if (order) return order->created_at_ms;
  return std::nullopt;
}

std::string Lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

bool IsConfirmed(const OrderRecord& o) { return Lower(o.status) == "confirmed"; }
bool IsCancelled(const OrderRecord& o) { return Lower(o.status) == "cancelled"; }
bool IsTerminal(const OrderRecord& o) { return IsConfirmed(o) || IsCancelled(o); }

std::string Money(std::int64_t minor) {
  std::ostringstream out;
  if (minor < 0) out << "-";
  const std::int64_t a = minor < 0 ? -minor : minor;
  out << a / 100 << "." << std::setw(2) << std::setfill('0') << a % 100;
  return out.str();
}

std::string AgeText(std::int64_t now_ms, std::optional<std::int64_t> at_ms) {
  if (!at_ms) return "unknown age";
  return FormatAge(std::chrono::milliseconds(std::max<std::int64_t>(0, now_ms - *at_ms)));
}

CheckResult MakeCheck(std::string name, std::string description, std::string unit) {
  CheckResult c;
  c.name = std::move(name);
  c.description = std::move(description);
  c.unit = std::move(unit);
  return c;
}

CheckResult Skipped(CheckResult c, std::string why) {
  c.status = CheckStatus::kSkipped;
  c.note = std::move(why);
  return c;
}

CheckResult Finish(CheckResult c) {
  if (!c.offenders.empty()) c.status = CheckStatus::kViolation;
  return c;
}

void AddProblems(CheckResult& c, const std::string& id, const std::vector<std::string>& problems) {
  if (problems.empty()) return;
  std::string text;
  for (const auto& p : problems) text += (text.empty() ? "" : "; ") + p;
  c.offenders.push_back({id, text});
}

AuditContext::AuditContext(const AuditData& data_in, const AuditOptions& options_in)
    : data(data_in), options(options_in) {
  if (data.gateway) {
    for (const auto& a : *data.gateway) facts_[a.order_id].accepted = &a;
  }
  if (data.orders) {
    for (const auto& o : *data.orders) facts_[o.order_id].order = &o;
  }
  if (data.inventory) {
    for (const auto& r : data.inventory->reservations) facts_[r.order_id].reservation = &r;
    for (const auto& id : data.inventory->rejected_orders) facts_[id].rejected = true;
  }
  if (data.payments) {
    for (const auto& p : *data.payments) facts_[p.order_id].payment = &p;
  }
  if (data.shipments) {
    for (const auto& s : *data.shipments) facts_[s.order_id].shipment = &s;
  }
  if (data.notifications) {
    for (const auto& n : *data.notifications) facts_[n.order_id].notifications.push_back(&n);
  }
  if (data.provider) {
    for (const auto& c : data.provider->charges) {
      charges_[c.charge_id] = &c;
      (c.status == "captured" ? facts_[c.order_id].captures : facts_[c.order_id].declined).push_back(&c);
    }
    for (const auto& r : data.provider->refunds) refunds_[r.charge_id].push_back(&r);
    for (const auto& e : data.provider->emails) facts_[e.order_id].emails.push_back(&e);
  }
}

const std::vector<const RefundRecord*>& AuditContext::RefundsOf(const std::string& charge_id) const {
  static const std::vector<const RefundRecord*> kNone;
  auto it = refunds_.find(charge_id);
  return it == refunds_.end() ? kNone : it->second;
}

bool AuditContext::Young(std::optional<std::int64_t> at_ms) const {
  if (!options.in_flight) return false;
  if (!at_ms) return false;
  return data.now_ms - *at_ms < options.in_flight->count();
}

bool AuditContext::InScope(const OrderFacts& f) const {
  return data.gateway ? f.accepted != nullptr : f.order != nullptr;
}

}  // namespace choreo::admin::audit
