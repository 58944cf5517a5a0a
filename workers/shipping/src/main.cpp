#include <stdexcept>
#include <string>

#include "choreo/config/options.hpp"
#include "choreo/shipping/shipping.hpp"

namespace {

namespace shipping = choreo::shipping;

void AddFlags(choreo::config::Options& flags) {
  flags.Add("countries", "CHOREO_SHIPPING_COUNTRIES", std::string(shipping::kDefaultCountries),
            "destinations served, comma-separated ISO 3166-1 alpha-2 codes")
      .Add("carrier", "CHOREO_SHIPPING_CARRIER", std::string(shipping::kDefaultCarrier),
           "carrier named in shipment.scheduled");
}

shipping::ShippingConfig ConfigFromFlags(const choreo::config::Options& flags) {
  shipping::ShippingConfig config;
  config.countries = shipping::ParseCountries(flags.Get("countries"));
  config.carrier = flags.Get("carrier");
  if (config.carrier.empty()) throw std::invalid_argument("carrier: must not be empty");
  return config;
}

}  // namespace

int main(int argc, char** argv) {
  return choreo::worker::Main(argc, argv, "shipping", AddFlags,
                              [](choreo::worker::Worker& worker, const choreo::config::Options& flags) {
                                shipping::Register(worker, ConfigFromFlags(flags));
                              });
}
