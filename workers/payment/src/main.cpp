#include <memory>

#include "choreo/payment/payment.hpp"
#include "choreo/worker/worker.hpp"

int main(int argc, char** argv) {
  return choreo::worker::Main(argc, argv, "payment", choreo::payment::AddFlags,
                              [](choreo::worker::Worker& worker, const choreo::config::Options& flags) {
                                choreo::payment::Register(worker, std::make_shared<choreo::provider::ProviderClient>(
                                                                      choreo::payment::ProviderOptionsFromFlags(flags)));
                              });
}
