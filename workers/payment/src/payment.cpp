#include "choreo/payment/payment.hpp"

#include <optional>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "choreo/contracts/events.hpp"
#include "choreo/contracts/time.hpp"
#include "choreo/log/log.hpp"
#include "choreo/payment/decisions.hpp"

namespace choreo::payment {
namespace {

using Poco::Data::Keywords::into;
using worker::Context;
using worker::EffectContext;

struct PaymentRow {
  PaymentRecord record;
  std::int64_t amount_minor = 0;
  std::string currency;
};

// With `lock`, on PostgreSQL the row stays locked until the handler's transaction ends, so
// two replicas handling a repeated event for one order take turns; SQLite's BEGIN
// IMMEDIATE already serialises writers. Effects read without it: a snapshot.
std::optional<PaymentRow> LoadPayment(store::Tx& tx, const std::string& order_id, bool lock) {
  PaymentRow row;
  std::string status;
  std::optional<std::string> refund_id;
  Poco::Int64 amount = 0;
  std::string sql = "SELECT status, charge_id, refund_id, amount_minor, currency FROM payments WHERE order_id = ?";
  if (lock && tx.Dialect() == store::Dialect::kPostgres) sql += " FOR UPDATE";
  if (tx.Run(sql, into(status), into(row.record.charge_id), into(refund_id), into(amount), into(row.currency),
             order_id) == 0) {
    return std::nullopt;
  }
  row.record.status = ParsePaymentStatus(status);
  row.record.refund_id = std::move(refund_id);
  row.amount_minor = amount;
  return row;
}

std::optional<PaymentRecord> RecordOf(const std::optional<PaymentRow>& row) {
  return row ? std::optional(row->record) : std::nullopt;
}

std::optional<PaymentRow> Snapshot(EffectContext& fx, const std::string& order_id) {
  return fx.Store().InTransaction([&](store::Tx& tx) { return LoadPayment(tx, order_id, /*lock=*/false); });
}

// The provider's failures in the runtime's terms. The same idempotency key on every
// attempt makes the transient retry safe: the provider applies a charge or refund once.
template <class F>
auto CallProvider(std::string_view what, const std::string& order_id, F&& call) {
  try {
    return call();
  } catch (const provider::ProviderUnavailable& e) {
    throw worker::DependencyError("provider", std::string(what) + " for order " + order_id + ": provider unavailable: " + e.what());
  } catch (const provider::ProviderRejected& e) {
    throw worker::PermanentError(std::string(what) + " for order " + order_id + ": provider rejected: " + e.what());
  } catch (const std::invalid_argument& e) {
    throw worker::PermanentError(std::string(what) + " for order " + order_id + ": " + e.what());
  }
}

// What the charge effect did: nothing (the order was charged already when it looked) or
// the provider's answer.
struct ChargeOutcome {
  std::optional<provider::ChargeResult> charge;
};

// Effect of inventory.reserved: the provider call, outside the transaction.
ChargeOutcome Charge(EffectContext& fx, provider::ProviderClient& provider, const contracts::InventoryReserved& e) {
  if (!ShouldCharge(RecordOf(Snapshot(fx, e.order_id)))) return {};
  return {CallProvider("charge", e.order_id, [&] {
    return provider.Charge(ChargeKey(e.order_id), e.order_id, e.total_minor, e.currency, e.payment.token);
  })};
}

void RecordCharge(Context& ctx, const contracts::InventoryReserved& e, const ChargeOutcome& outcome) {
  store::Tx& tx = ctx.Tx();
  if (!ShouldCharge(RecordOf(LoadPayment(tx, e.order_id, /*lock=*/true)))) {
    log::Info("inventory.reserved again for a charged order: nothing new", {{"order_id", e.order_id}});
    return;
  }
  if (!outcome.charge) {
    // The effect saw a payment that is gone now: nothing deletes payments, so this is a
    // store fault; try again rather than guess.
    throw worker::TransientError("order " + e.order_id + " had a payment when the charge effect looked, and has none now");
  }
  const provider::ChargeResult& charge = *outcome.charge;
  const std::string now = contracts::NowRfc3339();
  const PaymentStatus status = charge.Captured() ? PaymentStatus::kCaptured : PaymentStatus::kDeclined;
  std::optional<std::string> decline_reason;
  if (!charge.Captured()) decline_reason = charge.decline_reason;
  if (tx.Run("INSERT INTO payments (order_id, reservation_id, status, charge_id, amount_minor, currency, "
             "decline_reason, refund_id, refund_reason, created_at, refunded_at) "
             "VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, NULL) ON CONFLICT (order_id) DO NOTHING",
             e.order_id, e.reservation_id, ToString(status), charge.charge_id, e.total_minor, e.currency,
             decline_reason, now) == 0) {
    // A replica handling the same fact got the same answer (same key) and announced it.
    return;
  }
  if (charge.Captured()) {
    ctx.Publish(contracts::PaymentCaptured{.order_id = e.order_id,
                                           .reservation_id = e.reservation_id,
                                           .payment_id = charge.charge_id,
                                           .amount_minor = e.total_minor,
                                           .currency = e.currency,
                                           .captured_at = now});
  } else {
    ctx.Publish(contracts::PaymentDeclined{.order_id = e.order_id,
                                           .reservation_id = e.reservation_id,
                                           .amount_minor = e.total_minor,
                                           .currency = e.currency,
                                           .reason = charge.decline_reason.empty() ? "declined" : charge.decline_reason,
                                           .declined_at = now});
  }
}

// What the refund effect did: nothing (no refund was due when it looked) or the
// provider's answer.
struct RefundOutcome {
  std::optional<provider::RefundResult> refund;
  // Set when the effect found no payment on record and the provider had captured this
  // charge under the order's charge key: `refund` gives that charge back in full.
  std::optional<provider::ChargeResult> unrecorded_charge;
};

// No payment on record at an expiry: the charge's outcome is unknown, so ask the provider
// rather than assume nothing was taken. A charge still in flight is not found; if it then
// succeeds and is recorded, payment.captured makes inventory release the expired
// reservation once more and the ordinary refund follows.
RefundOutcome RefundUnrecordedCharge(provider::ProviderClient& provider, const std::string& order_id,
                                     contracts::RefundReason reason) {
  const std::optional<provider::ChargeResult> found =
      CallProvider("charge look-up", order_id, [&] { return provider.FindCharge(ChargeKey(order_id)); });
  if (!found) return {};
  if (!ShouldRefundUnrecorded(found->Captured() ? PaymentStatus::kCaptured : PaymentStatus::kDeclined)) return {};
  const std::string reason_text(contracts::ToString(reason));
  log::Warn("expired order has a capture payment never recorded: refunding it",
            {{"order_id", order_id}, {"charge_id", found->charge_id}, {"amount_minor", found->amount_minor}});
  return {.refund = CallProvider("refund", order_id, [&] {
            return provider.Refund(RefundKey(order_id), found->charge_id, found->amount_minor, reason_text);
          }),
          .unrecorded_charge = found};
}

// Effect of the events that may ask for a refund (`reason` empty: this one does not).
RefundOutcome Refund(EffectContext& fx, provider::ProviderClient& provider, const std::string& order_id,
                     std::optional<contracts::RefundReason> reason) {
  if (!reason) return {};
  auto row = Snapshot(fx, order_id);
  if (ShouldLookUpCharge(RecordOf(row), reason)) return RefundUnrecordedCharge(provider, order_id, *reason);
  if (!ShouldRefund(RecordOf(row))) return {};
  const std::string reason_text(contracts::ToString(*reason));
  return {CallProvider("refund", order_id, [&] {
    return provider.Refund(RefundKey(order_id), row->record.charge_id, row->amount_minor, reason_text);
  })};
}

// Records the capture payment never recorded together with its refund, and announces only
// the refund. payment.captured is deliberately not published: the order is already
// cancelled by the expiry, and inventory answers a capture for an expired reservation with
// another inventory.released(expired) (a round trip that would find the refund recorded
// and change nothing). The auditor checks captures against the provider's ledger, not
// against events, so the refund alone closes the books.
void RecordUnrecordedCharge(Context& ctx, const std::string& order_id, std::string_view reservation_id,
                            contracts::RefundReason reason, const RefundOutcome& outcome) {
  const provider::ChargeResult& charge = *outcome.unrecorded_charge;
  const std::string reason_text(contracts::ToString(reason));
  const std::string now = contracts::NowRfc3339();
  if (ctx.Tx().Run("INSERT INTO payments (order_id, reservation_id, status, charge_id, amount_minor, currency, "
                   "decline_reason, refund_id, refund_reason, created_at, refunded_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?) ON CONFLICT (order_id) DO NOTHING",
                   order_id, reservation_id, ToString(PaymentStatus::kCaptured), charge.charge_id,
                   charge.amount_minor, charge.currency, outcome.refund->refund_id, reason_text, now, now) == 0) {
    // A replica recorded the charge after this transaction looked (PostgreSQL has no row
    // to lock yet): run again, and the ordinary refund path takes over with the same key.
    throw worker::TransientError("order " + order_id + " got a payment while its unrecorded charge was refunded");
  }
  ctx.Publish(contracts::PaymentRefunded{.order_id = order_id,
                                         .payment_id = charge.charge_id,
                                         .refund_id = outcome.refund->refund_id,
                                         .amount_minor = charge.amount_minor,
                                         .currency = charge.currency,
                                         .reason = reason,
                                         .refunded_at = now});
}

void RecordRefund(Context& ctx, const std::string& order_id, std::string_view reservation_id,
                  std::optional<contracts::RefundReason> reason, const RefundOutcome& outcome) {
  if (!reason) return;
  store::Tx& tx = ctx.Tx();
  auto row = LoadPayment(tx, order_id, /*lock=*/true);
  if (!row && outcome.unrecorded_charge) {
    RecordUnrecordedCharge(ctx, order_id, reservation_id, *reason, outcome);
    return;
  }
  if (!ShouldRefund(RecordOf(row))) {
    log::Info("no refund due", {{"order_id", order_id},
                                {"reason", contracts::ToString(*reason)},
                                {"payment", row ? ToString(row->record.status) : "none"},
                                {"refunded", row && row->record.refund_id.has_value()}});
    return;
  }
  if (!outcome.refund) {
    // The capture was committed after the effect looked (both events in one batch): run
    // again, and the effect will see it.
    throw worker::TransientError("a refund for order " + order_id + " became due after its effect looked");
  }
  if (outcome.unrecorded_charge && outcome.unrecorded_charge->charge_id != row->record.charge_id) {
    // One key, one charge: cannot happen unless the store and the provider disagree.
    throw worker::TransientError("order " + order_id + " recorded charge " + row->record.charge_id +
                                 " but the provider refunded " + outcome.unrecorded_charge->charge_id);
  }
  // Also the case of a capture recorded while the effect refunded it as unrecorded: it was
  // the same charge (same key), refunded in full, so the refund is simply recorded.
  const std::string reason_text(contracts::ToString(*reason));
  const std::string now = contracts::NowRfc3339();
  tx.Defer("UPDATE payments SET refund_id = ?, refund_reason = ?, refunded_at = ? WHERE order_id = ?",
           outcome.refund->refund_id, reason_text, now, order_id);
  ctx.Publish(contracts::PaymentRefunded{.order_id = order_id,
                                         .payment_id = row->record.charge_id,
                                         .refund_id = outcome.refund->refund_id,
                                         .amount_minor = row->amount_minor,
                                         .currency = row->currency,
                                         .reason = *reason,
                                         .refunded_at = now});
}

const std::vector<store::Migration> kMigrations = {
    {1, "create payments",
     R"(CREATE TABLE payments (
          order_id TEXT PRIMARY KEY,
          reservation_id TEXT NOT NULL,
          status TEXT NOT NULL CHECK (status IN ('captured', 'declined')),
          charge_id TEXT NOT NULL,
          amount_minor BIGINT NOT NULL CHECK (amount_minor >= 0),
          currency TEXT NOT NULL,
          decline_reason TEXT,
          refund_id TEXT,
          refund_reason TEXT,
          created_at TEXT NOT NULL,
          refunded_at TEXT,
          CHECK (refund_id IS NULL OR status = 'captured')
        );)"},
};

}  // namespace

std::vector<store::Migration> Migrations() { return kMigrations; }

void Register(worker::Worker& worker, std::shared_ptr<provider::ProviderClient> provider) {
  if (!provider) throw std::invalid_argument("payment: provider client must not be null");
  worker.Migrations(Migrations());
  using contracts::InventoryReleased, contracts::InventoryReserved, contracts::ShipmentRejected;
  worker.On<InventoryReserved, ChargeOutcome>(
      [provider](EffectContext& fx, const InventoryReserved& e) { return Charge(fx, *provider, e); },
      [](Context& ctx, const InventoryReserved& e, const ChargeOutcome& outcome) { RecordCharge(ctx, e, outcome); });
  worker.On<ShipmentRejected, RefundOutcome>(
      [provider](EffectContext& fx, const ShipmentRejected& e) {
        return Refund(fx, *provider, e.order_id, contracts::RefundReason::kShipmentRejected);
      },
      [](Context& ctx, const ShipmentRejected& e, const RefundOutcome& outcome) {
        RecordRefund(ctx, e.order_id, e.reservation_id, contracts::RefundReason::kShipmentRejected, outcome);
      });
  worker.On<InventoryReleased, RefundOutcome>(
      [provider](EffectContext& fx, const InventoryReleased& e) {
        return Refund(fx, *provider, e.order_id, RefundReasonFor(e));
      },
      [](Context& ctx, const InventoryReleased& e, const RefundOutcome& outcome) {
        RecordRefund(ctx, e.order_id, e.reservation_id, RefundReasonFor(e), outcome);
      });
}

void AddFlags(config::Options& flags) {
  flags.Add("provider-url", "CHOREO_PROVIDER_URL", std::string(kDefaultProviderUrl), "payment provider base URL")
      .Add("provider-timeout", "CHOREO_PROVIDER_TIMEOUT", "10s",
           "bound of each network step of a provider call (a slow charge must fit)");
}

provider::ProviderClientOptions ProviderOptionsFromFlags(const config::Options& flags) {
  provider::ProviderClientOptions options{.base_url = flags.Get("provider-url"),
                                          .timeout = flags.GetDuration("provider-timeout")};
  options.Validate();
  return options;
}

}  // namespace choreo::payment
