#include "choreo/inventory/inventory.hpp"
#include "choreo/worker/worker.hpp"

int main(int argc, char** argv) {
  return choreo::worker::Main(argc, argv, "inventory", choreo::inventory::AddFlags,
                              [](choreo::worker::Worker& worker, const choreo::config::Options& flags) {
                                choreo::inventory::Register(worker, choreo::inventory::OptionsFromFlags(flags));
                              });
}
