#include <string>

#include "choreo/config/options.hpp"
#include "choreo/notification/notification.hpp"

int main(int argc, char** argv) {
  namespace notification = choreo::notification;
  return choreo::worker::Main(
      argc, argv, "notification",
      [](choreo::config::Options& flags) {
        flags.Add("provider-url", "CHOREO_PROVIDER_URL", std::string(notification::kDefaultProviderUrl),
                  "base URL of the mail provider")
            .Add("provider-timeout", "CHOREO_PROVIDER_TIMEOUT", "5s", "bound of each network step of a provider call")
            .Add("recipient-domain", "CHOREO_NOTIFICATION_RECIPIENT_DOMAIN",
                 std::string(notification::kDefaultRecipientDomain),
                 "domain of the addresses derived from customer ids");
      },
      [](choreo::worker::Worker& worker, const choreo::config::Options& flags) {
        notification::NotificationConfig config;
        config.provider_client.base_url = flags.Get("provider-url");
        config.provider_client.timeout = flags.GetDuration("provider-timeout");
        config.recipient_domain = flags.Get("recipient-domain");
        if (config.recipient_domain.empty()) throw std::invalid_argument("recipient-domain: must not be empty");
        notification::Register(worker, std::move(config));
      });
}
