#include "choreo/notification/notification.hpp"

#include <cstdio>
#include <cstdlib>

#include "choreo/contracts/time.hpp"

namespace choreo::notification {
namespace {

using contracts::CancelReason;
using contracts::NotificationKind;

// Tables are prefixed with the component so replicas sharing one PostgreSQL database with
// other components cannot collide with them.
constexpr const char* kCreateTables = R"sql(
CREATE TABLE notification_emails (
  order_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  recipient TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  provider_message_id TEXT NOT NULL,
  sent_at TEXT NOT NULL,
  PRIMARY KEY (order_id, kind)
);
)sql";

// RFC 5321 bounds the local part to 64 octets.
constexpr std::size_t kMaxLocalPart = 64;

bool IsAtext(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-' || c == '+';
}

bool LooksLikeAddress(std::string_view text) {
  const std::size_t at = text.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == text.size() || at > kMaxLocalPart) return false;
  if (text.find('@', at + 1) != std::string_view::npos) return false;
  for (char c : text) {
    if (c != '@' && !IsAtext(c)) return false;
  }
  return text.substr(at + 1).find('.') != std::string_view::npos;
}

std::string_view ReasonText(CancelReason reason) {
  switch (reason) {
    case CancelReason::kInsufficientStock: return "some items are no longer in stock";
    case CancelReason::kUnknownSku: return "an item of the order is not in our catalog";
    case CancelReason::kPaymentDeclined: return "the payment was declined";
    case CancelReason::kReservationExpired: return "the payment did not complete in time";
    case CancelReason::kShipmentRejected: return "we cannot deliver to the shipping address";
  }
  return "it could not be fulfilled";
}

// Only these reasons can follow a capture; payment refunds them on its own.
bool MayHaveBeenCharged(CancelReason reason) {
  return reason == CancelReason::kReservationExpired || reason == CancelReason::kShipmentRejected;
}

Email Base(NotificationKind kind, const std::string& order_id, const std::string& customer_id,
           std::string_view domain) {
  Email email;
  email.kind = kind;
  email.order_id = order_id;
  email.customer_id = customer_id;
  email.idempotency_key = IdempotencyKey(order_id, kind);
  email.to = RecipientFor(customer_id, domain);
  email.template_name = std::string(contracts::ToString(kind));
  return email;
}

}  // namespace

std::string IdempotencyKey(std::string_view order_id, NotificationKind kind) {
  return "email:" + std::string(order_id) + ":" + std::string(contracts::ToString(kind));
}

std::string RecipientFor(std::string_view customer_id, std::string_view domain) {
  if (LooksLikeAddress(customer_id)) return std::string(customer_id);
  std::string local;
  for (char c : customer_id) local += IsAtext(c) ? c : '_';
  if (local.size() > kMaxLocalPart) local.resize(kMaxLocalPart);
  if (local.empty()) local = "customer";
  return local + "@" + std::string(domain);
}

std::string FormatMoney(std::int64_t amount_minor, std::string_view currency) {
  // ISO 4217 currencies without minor units that a shop is likely to see.
  static constexpr std::string_view kZeroDecimal[] = {"JPY", "KRW", "ISK", "CLP", "VND", "HUF"};
  for (std::string_view code : kZeroDecimal) {
    if (code == currency) return std::to_string(amount_minor) + " " + std::string(currency);
  }
  const std::int64_t units = amount_minor / 100;
  const std::int64_t cents = std::llabs(amount_minor % 100);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%s%lld.%02lld", amount_minor < 0 && units == 0 ? "-" : "",
                static_cast<long long>(units), static_cast<long long>(cents));
  return std::string(buffer) + " " + std::string(currency);
}

Email EmailFor(const contracts::OrderConfirmed& e, std::string_view domain) {
  Email email = Base(NotificationKind::kOrderConfirmed, e.order_id, e.customer_id, domain);
  email.subject = "Your order " + e.order_id + " is confirmed";
  email.body = "Hello,\n\nthank you for your order " + e.order_id + ". We received your payment of " +
               FormatMoney(e.total_minor, e.currency) + " and booked shipment " + e.shipment_id +
               ". We will let the carrier take it from here.\n";
  return email;
}

Email EmailFor(const contracts::OrderCancelled& e, std::string_view domain) {
  Email email = Base(NotificationKind::kOrderCancelled, e.order_id, e.customer_id, domain);
  email.subject = "Your order " + e.order_id + " was cancelled";
  email.body = "Hello,\n\nwe are sorry: your order " + e.order_id + " was cancelled because " +
               std::string(ReasonText(e.reason)) + ".";
  if (e.details && !e.details->empty()) email.body += " (" + *e.details + ")";
  if (MayHaveBeenCharged(e.reason)) email.body += " Any amount charged for it is refunded to you.";
  email.body += "\n";
  return email;
}

std::vector<store::Migration> Migrations() {
  return {{.version = 1, .name = "create notification_emails", .sql = kCreateTables}};
}

namespace {

bool AlreadySent(store::Tx& tx, const Email& email) {
  using Poco::Data::Keywords::into;
  Poco::Int64 sent = 0;
  tx.Run("SELECT COUNT(*) FROM notification_emails WHERE order_id = ? AND kind = ?", into(sent), email.order_id,
         std::string(contracts::ToString(email.kind)));
  return sent > 0;
}

}  // namespace

std::optional<provider::EmailResult> SendEffect(provider::ProviderClient& client, worker::EffectContext& fx,
                                                const Email& email) {
  // A repeated order.confirmed / order.cancelled (a replay, a republish) finds the first
  // e-mail and sends nothing; the provider's idempotency key covers the window between
  // the provider call and our commit, and a replica sending at the same time.
  if (fx.Store().InTransaction([&](store::Tx& tx) { return AlreadySent(tx, email); })) return std::nullopt;
  try {
    return client.SendEmail(email.idempotency_key, email.to, email.template_name, email.order_id, email.subject,
                            email.body);
  } catch (const provider::ProviderUnavailable& e) {
    throw worker::DependencyError("provider", std::string("mail provider unavailable: ") + e.what());
  } catch (const provider::ProviderRejected& e) {
    throw worker::PermanentError(std::string("mail provider rejected the e-mail: ") + e.what());
  }
}

void RecordSent(worker::Context& ctx, const Email& email, const std::optional<provider::EmailResult>& result) {
  store::Tx& tx = ctx.Tx();
  if (AlreadySent(tx, email)) return;
  if (!result) {
    // The effect saw a sent e-mail that is gone now: nothing deletes them; try again.
    throw worker::TransientError("e-mail " + email.idempotency_key + " was recorded when the effect looked, and is not now");
  }
  const std::string kind(contracts::ToString(email.kind));
  const std::string now = contracts::NowRfc3339();
  // A replica that handled the same event concurrently got the same provider answer and
  // already announced it.
  const bool first = tx.Run("INSERT INTO notification_emails (order_id, kind, customer_id, recipient, "
                            "idempotency_key, provider_message_id, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                            "ON CONFLICT (order_id, kind) DO NOTHING",
                            email.order_id, kind, email.customer_id, email.to, email.idempotency_key,
                            result->email_id, now) == 1;
  if (!first) return;
  ctx.Publish(contracts::NotificationSent{.order_id = email.order_id,
                                          .kind = email.kind,
                                          .customer_id = email.customer_id,
                                          .provider_message_id = result->email_id,
                                          .sent_at = now});
}

void Register(worker::Worker& worker, NotificationConfig config) {
  auto client = std::make_shared<provider::ProviderClient>(config.provider_client);
  const std::string domain = config.recipient_domain;
  using Sent = std::optional<provider::EmailResult>;
  worker.Migrations(Migrations());
  worker.On<contracts::OrderConfirmed, Sent>(
      [client, domain](worker::EffectContext& fx, const contracts::OrderConfirmed& e) {
        return SendEffect(*client, fx, EmailFor(e, domain));
      },
      [domain](worker::Context& ctx, const contracts::OrderConfirmed& e, const Sent& sent) {
        RecordSent(ctx, EmailFor(e, domain), sent);
      });
  worker.On<contracts::OrderCancelled, Sent>(
      [client, domain](worker::EffectContext& fx, const contracts::OrderCancelled& e) {
        return SendEffect(*client, fx, EmailFor(e, domain));
      },
      [domain](worker::Context& ctx, const contracts::OrderCancelled& e, const Sent& sent) {
        RecordSent(ctx, EmailFor(e, domain), sent);
      });
}

}  // namespace choreo::notification
