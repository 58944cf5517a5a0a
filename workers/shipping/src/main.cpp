#include <string>

#include "choreo/config/options.hpp"
#include "choreo/shipping/shipping.hpp"

int main(int argc, char** argv) {
  namespace shipping = choreo::shipping;
  return choreo::worker::Main(
      argc, argv, "shipping",
      [](choreo::config::Options& flags) {
        flags.Add("countries", "CHOREO_SHIPPING_COUNTRIES", std::string(shipping::kDefaultCountries),
                  "destinations served, comma-separated ISO 3166-1 alpha-2 codes")
            .Add("carrier", "CHOREO_SHIPPING_CARRIER", std::string(shipping::kDefaultCarrier),
                 "carrier named in shipment.scheduled");
      },
      [](choreo::worker::Worker& worker, const choreo::config::Options& flags) {
        shipping::ShippingConfig config;
        config.countries = shipping::ParseCountries(flags.Get("countries"));
        config.carrier = flags.Get("carrier");
        if (config.carrier.empty()) throw std::invalid_argument("carrier: must not be empty");
        shipping::Register(worker, std::move(config));
      });
}
