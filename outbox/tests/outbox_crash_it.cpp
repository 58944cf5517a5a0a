// Crash safety of the outbox: a child process appends rows and runs the relay, and is
// SIGKILLed again and again, at random times and right after publishes were confirmed but
// before they were marked sent. Afterwards every row has been published at least once,
// and a consumer using the inbox applies each exactly once.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <thread>

#include "choreo/amqp/connection.hpp"
#include "choreo/amqp/consumer.hpp"
#include "choreo/outbox/inbox.hpp"
#include "choreo/outbox/outbox.hpp"
#include "choreo/testing/test_database.hpp"
#include "choreo/testing/testing.hpp"

namespace choreo::outbox {
namespace {

using namespace std::chrono_literals;
using Poco::Data::Keywords::into;

std::string ChildPath() {
  return (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "outbox-crash-child").string();
}

// Runs the child; SIGKILLs it after `kill_after` unless it exits first. Returns the wait
// status.
int RunChild(const std::vector<std::string>& args, std::chrono::milliseconds kill_after) {
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    std::string path = ChildPath();
    argv.push_back(path.data());
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(path.c_str(), argv.data());
    _exit(127);
  }
  int status = 0;
  bool exited = testing::WaitFor([&] { return waitpid(pid, &status, WNOHANG) == pid; }, kill_after, 2ms);
  if (!exited) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  return status;
}

TEST(OutboxCrash, SigkillAnywhereLosesNothingAndInboxAppliesOnce) {
  constexpr int kRows = 4000;
  testing::TestVhost vhost("crash");
  testing::TestDatabase producer_db(testing::DbKind::kSqlite, "crash-producer");
  testing::TestDatabase consumer_db(testing::DbKind::kSqlite, "crash-consumer");
  const std::string exchange = testing::UniqueName("crash-ex");
  const std::string queue = testing::UniqueName("crash-q");
  amqp::Connection amqp({.url = vhost.AmqpUrl()});
  amqp.DeclareExchange({.name = exchange, .type = "topic"});
  amqp.DeclareQueue(amqp::QueueSpec::Quorum(queue));
  amqp.Bind({.queue = queue, .exchange = exchange, .routing_key = "crash.#"});

  std::mt19937 rng(20261121);
  int kills = 0, self_kills = 0, clean_exit = 0;
  for (int run = 0; run < 60 && clean_exit == 0; ++run) {
    // Runs 0-5 kill themselves right after a cycle's confirms, before the mark (each dies
    // within its first 4 cycles, so 4,000 rows always leave work for all six); runs 6-11
    // are killed from outside at a random time; later runs finish.
    const bool self_kill = run < 6;
    const int kill_cycle = self_kill ? 1 + static_cast<int>(rng() % 4) : 0;
    const auto kill_after = self_kill ? 30s : std::chrono::milliseconds(40 + rng() % 400);
    int status = RunChild({producer_db.Url(), vhost.AmqpUrl(), exchange, std::to_string(kRows), std::to_string(kill_cycle)},
                          run >= 12 ? 120s : kill_after);
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
      ++kills;
      self_kills += self_kill;
    } else {
      ASSERT_TRUE(WIFEXITED(status)) << "status " << status;
      ASSERT_EQ(WEXITSTATUS(status), 0) << "the child failed (see its stderr)";
      clean_exit = 1;
    }
  }
  ASSERT_EQ(clean_exit, 1) << "the child never finished";
  EXPECT_EQ(self_kills, 6);
  EXPECT_GE(kills, 6);

  store::Store producer(producer_db.Url());
  EXPECT_EQ(Status(producer).pending, 0);

  // Consume everything with an inbox-protected handler.
  store::Store consumer_store(consumer_db.Url());
  InstallSchema(consumer_store);
  consumer_store.InTransaction([](store::Tx& tx) { tx.RunScript("CREATE TABLE effects (id TEXT PRIMARY KEY, n BIGINT NOT NULL)"); });
  amqp::Consumer consumer(amqp, {.queue = queue, .prefetch = 256});
  std::map<std::string, int> deliveries;
  std::size_t total = 0;
  auto drain = [&] {
    while (auto d = consumer.Next(100ms)) {
      const std::string id = d->message.message_id;
      consumer_store.InTransaction([&](store::Tx& tx) {
        if (!TryRecord(tx, "crash-consumer", id)) return;
        tx.Run("INSERT INTO effects (id, n) VALUES (?, 1) ON CONFLICT (id) DO UPDATE SET n = effects.n + 1", id);
      });
      consumer.Ack(*d);
      deliveries[id]++;
      ++total;
    }
    return deliveries.size() >= static_cast<std::size_t>(kRows);
  };
  ASSERT_TRUE(testing::WaitFor(drain, 60s, 1ms)) << "only " << deliveries.size() << " distinct messages arrived";
  drain();  // whatever duplicates are still queued

  for (int i = 0; i < kRows; ++i) {
    ASSERT_EQ(deliveries.count("m-" + std::to_string(i)), 1u) << "m-" << i << " was never published";
  }
  Poco::Int64 effects = 0, max_n = 0;
  consumer_store.InTransaction([&](store::Tx& tx) { tx.Run("SELECT COUNT(*), MAX(n) FROM effects", into(effects), into(max_n)); });
  EXPECT_EQ(effects, kRows);
  EXPECT_EQ(max_n, 1) << "a message was applied twice";
  // Killing after confirm and before mark must have produced republished duplicates; if
  // none arrived the test did not exercise what it claims to.
  EXPECT_GT(total, static_cast<std::size_t>(kRows));
  std::printf("crash test: %d kills (%d mid-cycle), %zu deliveries for %d rows, each applied once\n", kills, self_kills,
              total, kRows);
}

}  // namespace
}  // namespace choreo::outbox
