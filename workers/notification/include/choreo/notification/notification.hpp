#pragma once
// The notification worker: one e-mail per terminal order event (order.confirmed,
// order.cancelled) through the mail provider, then notification.sent.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "choreo/contracts/events.hpp"
#include "choreo/provider/client.hpp"
#include "choreo/store/store.hpp"
#include "choreo/worker/worker.hpp"

namespace choreo::notification {

inline constexpr std::string_view kDefaultProviderUrl = "http://127.0.0.1:8090";
// Customers are known by id only; the provider stand-in needs an address, so one is
// derived in a domain that belongs to no one.
inline constexpr std::string_view kDefaultRecipientDomain = "customers.choreo.example";

// An e-mail as sent to the provider. Everything in it derives from the event alone, so a
// retry after a crash sends exactly the same request under the same idempotency key (the
// provider refuses a key reused with different content).
struct Email {
  contracts::NotificationKind kind = contracts::NotificationKind::kOrderConfirmed;
  std::string order_id;
  std::string customer_id;
  std::string idempotency_key;  // email:<order_id>:<kind>
  std::string to;
  std::string template_name;    // = the kind's wire name
  std::string subject;
  std::string body;
};

std::string IdempotencyKey(std::string_view order_id, contracts::NotificationKind kind);

// The customer id itself when it is an e-mail address, else <sanitised id>@<domain>.
std::string RecipientFor(std::string_view customer_id, std::string_view domain = kDefaultRecipientDomain);

// "12.50 EUR"; currencies without minor units (JPY, ...) print whole.
std::string FormatMoney(std::int64_t amount_minor, std::string_view currency);

Email EmailFor(const contracts::OrderConfirmed& e, std::string_view domain = kDefaultRecipientDomain);
Email EmailFor(const contracts::OrderCancelled& e, std::string_view domain = kDefaultRecipientDomain);

struct NotificationConfig {
  provider::ProviderClientOptions provider_client{.base_url = std::string(kDefaultProviderUrl)};
  std::string recipient_domain = std::string(kDefaultRecipientDomain);
};

std::vector<store::Migration> Migrations();

// Registers the migrations and the two handlers. Throws std::invalid_argument for an
// invalid provider URL.
void Register(worker::Worker& worker, NotificationConfig config);

// Sending is an effect (worker.hpp): the provider call runs outside the store
// transaction, concurrently across a batch.
// The effect: sends `email` unless this order's e-mail of that kind was already sent
// (then nullopt). ProviderUnavailable becomes TransientError, ProviderRejected
// PermanentError.
std::optional<provider::EmailResult> SendEffect(provider::ProviderClient& client, worker::EffectContext& fx,
                                                const Email& email);
// The handler: records the e-mail once and emits notification.sent.
void RecordSent(worker::Context& ctx, const Email& email, const std::optional<provider::EmailResult>& result);

}  // namespace choreo::notification
