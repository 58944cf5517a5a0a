#pragma once
// The payment worker: charges the total of a reservation at the payment provider and
// refunds it when the order cannot be fulfilled (docs/architecture.md, The order flow).
//
//   inventory.reserved           -> payment.captured | payment.declined
//   shipment.rejected            -> payment.refunded (once, if captured)
//   inventory.released(expired)  -> payment.refunded (once, if captured; with no payment
//                                   on record, asks the provider for a capture it never
//                                   recorded and refunds that)
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "choreo/config/options.hpp"
#include "choreo/provider/client.hpp"
#include "choreo/store/store.hpp"
#include "choreo/worker/worker.hpp"

namespace choreo::payment {

inline constexpr std::string_view kDefaultProviderUrl = "http://127.0.0.1:8090";

// The worker's schema (component "payment").
std::vector<store::Migration> Migrations();

// Registers migrations and handlers. Provider calls are effects (worker.hpp): they run
// outside the store transaction, concurrently across a batch, and the handlers record
// their results. The provider client is shared by them (it is thread-safe).
void Register(worker::Worker& worker, std::shared_ptr<provider::ProviderClient> provider);

// --provider-url / CHOREO_PROVIDER_URL and --provider-timeout / CHOREO_PROVIDER_TIMEOUT.
void AddFlags(config::Options& flags);
// Throws std::invalid_argument (config::UsageError for malformed values).
provider::ProviderClientOptions ProviderOptionsFromFlags(const config::Options& flags);

}  // namespace choreo::payment
