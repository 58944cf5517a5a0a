#include "choreo/order/order_worker.hpp"
#include "choreo/worker/worker.hpp"

int main(int argc, char** argv) {
  return choreo::worker::Main(
      argc, argv, "order", [](choreo::config::Options&) {},
      [](choreo::worker::Worker& worker, const choreo::config::Options&) { choreo::order::Register(worker); });
}
