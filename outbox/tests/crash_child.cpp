// Child process of outbox_crash_it: appends `count` outbox rows (continuing where an
// earlier, killed incarnation stopped) interleaved with relay cycles, and SIGKILLs itself
// right after a cycle's publishes were confirmed but before they were marked sent: the
// worst moment for an outbox. The parent also kills it at random times.
//
//   outbox-crash-child STORE_URL AMQP_URL EXCHANGE COUNT KILL_CYCLE
// KILL_CYCLE 0 means: never kill itself. Exits 0 once every row is appended and sent.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "choreo/outbox/outbox.hpp"
#include "choreo/outbox/relay.hpp"

using namespace choreo;
using Poco::Data::Keywords::into;

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s STORE_URL AMQP_URL EXCHANGE COUNT KILL_CYCLE\n", argv[0]);
    return 2;
  }
  try {
    const std::string exchange = argv[3];
    const long count = std::stol(argv[4]);
    const long kill_cycle = std::stol(argv[5]);
    store::Store store(argv[1]);
    outbox::InstallSchema(store);

    long cycle = 0;
    outbox::RelayOptions options;
    options.amqp.url = argv[2];
    options.batch_size = 40;
    options.window = 16;
    options.stage_hook = [&](outbox::RelayStage stage) {
      if (stage == outbox::RelayStage::kPublished && ++cycle == kill_cycle) std::raise(SIGKILL);
    };
    outbox::Relay relay(store, options);

    Poco::Int64 done = 0;
    store.InTransaction([&](store::Tx& tx) { tx.Run("SELECT COUNT(*) FROM choreo_outbox", into(done)); });
    for (long i = done; i < count; ++i) {
      store.InTransaction([&](store::Tx& tx) {
        outbox::Append(tx, {.message_id = "m-" + std::to_string(i), .exchange = exchange, .routing_key = "crash.row",
                            .body = "{\"seq\":" + std::to_string(i) + "}"});
      });
      if (i % 25 == 24) relay.RunOnce();
    }
    while (outbox::Status(store).pending > 0) relay.RunOnce();
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "crash child: %s\n", e.what());
    return 1;
  }
}
