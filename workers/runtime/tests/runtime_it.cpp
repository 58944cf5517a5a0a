// The worker runtime against a real broker and store: the happy path, duplicates, and
// every branch of the failure policy, observed from the outside (queues, headers, rows).
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "choreo/amqp/connection.hpp"
#include "choreo/amqp/consumer.hpp"
#include "choreo/amqp/publisher.hpp"
#include "choreo/contracts/dead_letter.hpp"
#include "choreo/contracts/events.hpp"
#include "choreo/contracts/time.hpp"
#include "choreo/contracts/validation.hpp"
#include "choreo/metrics/metrics.hpp"
#include "choreo/worker/worker.hpp"
#include "shipping_fixture.hpp"

namespace choreo::worker {
namespace {

using namespace std::chrono_literals;
using Poco::Data::Keywords::into;
namespace dl = contracts::dead_letter;

using test::Committed;

// Runs a "shipping" worker with test handlers in a fresh vhost and observes what it emits.
class RuntimeTest : public test::ShippingFixture {
 protected:
  RuntimeTest() : ShippingFixture("runtime") {}

  void StartWorker(std::function<void(Context&, const contracts::InventoryCommitted&)> handler, int max_retries = 4) {
    StartWorkerWith([&](Worker& w) { w.On<contracts::InventoryCommitted>(std::move(handler)); }, max_retries);
  }

  void StartWorkerWith(const std::function<void(Worker&)>& register_handlers, int max_retries = 4) {
    Start(Options("shipping", max_retries), register_handlers);
    // Observe what the worker emits on its exchange.
    probe_->Observe("shipping");
  }

  void PublishRaw(const std::string& body, const std::string& message_id) {
    probe_->PublishRaw("inventory", "inventory.committed",
                       {.body = body, .message_id = message_id, .content_type = "application/json",
                        .type = "inventory.committed"});
  }

  contracts::Envelope Publish(const contracts::InventoryCommitted& e) { return probe_->Publish(e); }

  std::optional<amqp::Delivery> GetDeadLetter(std::chrono::milliseconds timeout = 20s) {
    return probe_->AwaitMessage("shipping.dlq", timeout);
  }
};

void Ship(Context& ctx, const contracts::InventoryCommitted& e) {
  ctx.Tx().Run("INSERT INTO shipments (order_id) VALUES (?)", e.order_id);
  ctx.Publish(contracts::ShipmentScheduled{.order_id = e.order_id, .reservation_id = e.reservation_id,
                                           .shipment_id = "shp-1", .carrier = "dhl",
                                           .scheduled_at = contracts::NowRfc3339()});
}

TEST_F(RuntimeTest, HandlesCommitsAndPublishesThroughTheOutbox) {
  StartWorker(Ship);
  const std::string order = contracts::NewUuid();
  contracts::Envelope in = Publish(Committed(order));
  ASSERT_TRUE(testing::WaitFor([&] { return worker_->Stats().handled == 1; }, 10s));
  EXPECT_EQ(Shipments(), 1);

  std::optional<amqp::Delivery> out;
  ASSERT_TRUE((out = probe_->AwaitMessage(probe_->Queue(), 10s)).has_value());
  contracts::Envelope emitted = contracts::ParseAndValidate(out->message.body);
  EXPECT_EQ(emitted.type, "shipment.scheduled");
  EXPECT_EQ(emitted.correlation_id, order);
  EXPECT_EQ(emitted.causation_id, in.message_id);
  EXPECT_EQ(out->message.message_id, emitted.message_id);
  EXPECT_EQ(out->routing_key, "shipment.scheduled");
}

TEST_F(RuntimeTest, DuplicateMessageIsAckedWithoutRunningTheHandlerAgain) {
  std::atomic<int> runs{0};
  StartWorker([&](Context& ctx, const contracts::InventoryCommitted& e) {
    runs++;
    Ship(ctx, e);
  });
  contracts::Envelope env = contracts::MakeEnvelope(Committed(contracts::NewUuid()));
  PublishRaw(contracts::Serialize(env), env.message_id);
  PublishRaw(contracts::Serialize(env), env.message_id);
  ASSERT_TRUE(testing::WaitFor([&] { return worker_->Stats().duplicates == 1; }, 10s));
  EXPECT_EQ(worker_->Stats().handled, 1u);
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(Shipments(), 1);
}

TEST_F(RuntimeTest, MalformedMessageIsDeadLetteredAtOnceWithItsReason) {
  std::atomic<int> runs{0};
  StartWorker([&](Context&, const contracts::InventoryCommitted&) { runs++; });
  PublishRaw("{not json", "bad-1");
  auto d = GetDeadLetter();
  ASSERT_TRUE(d.has_value());
  const auto& h = d->message.headers;
  EXPECT_EQ(h.GetString(dl::kErrorClass), std::string(dl::kContractError));
  EXPECT_EQ(h.GetString(dl::kWorker), "shipping");
  EXPECT_EQ(h.GetString(dl::kOriginalExchange), "inventory");
  EXPECT_EQ(h.GetString(dl::kOriginalRoutingKey), "inventory.committed");
  EXPECT_EQ(h.GetInt(dl::kAttempts), 1);
  EXPECT_TRUE(h.GetString(dl::kDeadLetteredAt).has_value());
  EXPECT_FALSE(h.GetString(dl::kErrorMessage).value_or("").empty());
  EXPECT_EQ(d->message.message_id, "bad-1");
  EXPECT_EQ(d->message.body, "{not json");
  EXPECT_EQ(runs, 0);
  EXPECT_EQ(worker_->Stats().dead_lettered, 1u);
}

TEST_F(RuntimeTest, PermanentErrorIsDeadLetteredAtOnceAndRollsBack) {
  StartWorker([&](Context& ctx, const contracts::InventoryCommitted& e) {
    Ship(ctx, e);  // effects that must be rolled back
    throw PermanentError("destination not served");
  });
  Publish(Committed(contracts::NewUuid()));
  auto d = GetDeadLetter();
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->message.headers.GetString(dl::kErrorClass), std::string(dl::kPermanentError));
  EXPECT_EQ(d->message.headers.GetString(dl::kErrorMessage), "destination not served");
  EXPECT_EQ(Shipments(), 0);
  EXPECT_EQ(probe_->Connection().InspectQueue(probe_->Queue()).message_count, 0u);
  EXPECT_EQ(worker_->Stats().retried, 0u);
}

TEST_F(RuntimeTest, TransientErrorIsRetriedWithBackoffThenSucceeds) {
  std::vector<int> attempts;
  std::mutex mutex;
  StartWorker([&](Context& ctx, const contracts::InventoryCommitted& e) {
    {
      std::lock_guard lock(mutex);
      attempts.push_back(ctx.Attempt());
    }
    if (ctx.Attempt() < 3) throw TransientError("provider unavailable");
    Ship(ctx, e);
  });
  Publish(Committed(contracts::NewUuid()));
  // Retry delays are 1 s then 4 s.
  ASSERT_TRUE(testing::WaitFor([&] { return worker_->Stats().handled == 1; }, 20s));
  std::lock_guard lock(mutex);
  EXPECT_EQ(attempts, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(worker_->Stats().retried, 2u);
  EXPECT_EQ(Shipments(), 1);
}

TEST_F(RuntimeTest, TransientErrorIsDeadLetteredWhenRetriesAreUsedUp) {
  StartWorker([&](Context&, const contracts::InventoryCommitted&) { throw TransientError("still down"); },
              /*max_retries=*/1);
  contracts::Envelope env = Publish(Committed(contracts::NewUuid()));
  auto d = GetDeadLetter(20s);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->message.headers.GetString(dl::kErrorClass), std::string(dl::kTransientExhausted));
  EXPECT_EQ(d->message.headers.GetInt(dl::kAttempts), 2);
  // The original routing survives the trip through the retry queue.
  EXPECT_EQ(d->message.headers.GetString(dl::kOriginalExchange), "inventory");
  EXPECT_EQ(d->message.headers.GetString(dl::kOriginalRoutingKey), "inventory.committed");
  EXPECT_EQ(d->message.message_id, env.message_id);
  EXPECT_EQ(worker_->Stats().retried, 1u);
}

TEST_F(RuntimeTest, BatchesIsolateAFailingMessageAndHandleTheRest) {
  const std::string poison = contracts::NewUuid();
  std::atomic<int> poison_runs{0};
  StartWorker([&](Context& ctx, const contracts::InventoryCommitted& e) {
    if (e.order_id == poison) {
      poison_runs++;
      throw PermanentError("this order can never ship");
    }
    Ship(ctx, e);
  });
  // Published back to back, so the worker takes them in batches; the duplicate and the
  // poison message sit in the middle of one.
  std::vector<contracts::Envelope> sent;
  for (int i = 0; i < 300; ++i) {
    if (i == 150) sent.push_back(contracts::MakeEnvelope(Committed(poison)));
    if (i == 151) sent.push_back(sent.back());  // a redelivery of the poison message
    sent.push_back(contracts::MakeEnvelope(Committed(contracts::NewUuid())));
  }
  PublishBatch(sent);
  ASSERT_TRUE(Settles(300, 1));
  EXPECT_EQ(Shipments(), 300);
  EXPECT_EQ(worker_->Stats().duplicates, 1u);
  auto d = GetDeadLetter();
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->message.headers.GetString(dl::kErrorMessage), "this order can never ship");
  EXPECT_GE(poison_runs, 1);
  EXPECT_EQ(probe_->Connection().InspectQueue("shipping").message_count, 0u);
  EXPECT_LT(worker_->Stats().transactions, 150u) << "messages that arrived together should share transactions";
}

// A slow effect (a provider call) runs outside the transaction and concurrently across
// the batch; the handler gets what it returned.
TEST_F(RuntimeTest, EffectsOfABatchRunConcurrentlyAndHandlersRecordTheirResults) {
  std::atomic<int> running{0}, most{0};
  StartWorkerWith([&](Worker& w) {
    w.On<contracts::InventoryCommitted, std::string>(
        [&](EffectContext& fx, const contracts::InventoryCommitted& e) {
          const int now = ++running;
          for (int seen = most; now > seen && !most.compare_exchange_weak(seen, now);) {
          }
          // The provider's latency (the work being simulated, not a wait for an event).
          std::this_thread::sleep_for(100ms);
          --running;
          EXPECT_EQ(fx.CorrelationId(), e.order_id);
          return "fx:" + e.order_id;
        },
        [](Context& ctx, const contracts::InventoryCommitted&, const std::string& result) {
          ctx.Tx().Run("INSERT INTO shipments (order_id) VALUES (?)", result);
        });
  });
  std::vector<std::string> orders;
  std::vector<contracts::Envelope> sent;
  for (int i = 0; i < 64; ++i) {
    orders.push_back(contracts::NewUuid());
    sent.push_back(contracts::MakeEnvelope(Committed(orders.back())));
  }
  PublishBatch(sent);
  ASSERT_TRUE(testing::WaitFor([&] { return worker_->Stats().handled == 64; }, 30s)) << worker_->Stats().handled;
  EXPECT_EQ(Shipments(), 64);
  Poco::Int64 recorded = 0;
  worker_->Store().InTransaction([&](store::Tx& tx) {
    tx.Run("SELECT COUNT(*) FROM shipments WHERE order_id = 'fx:' || ?", into(recorded), orders.front());
  });
  EXPECT_EQ(recorded, 1);
  EXPECT_GT(most.load(), 1) << "effects of one batch should overlap";
  EXPECT_LE(most.load(), 16) << "effect_concurrency bounds them";
}

// An effect's failure is routed by the policy like a handler's, and only its message
// is affected.
TEST_F(RuntimeTest, FailingEffectIsDeadLetteredAndSparesTheRestOfItsBatch) {
  const std::string poison = contracts::NewUuid();
  std::atomic<int> handler_runs_for_poison{0};
  StartWorkerWith([&](Worker& w) {
    w.On<contracts::InventoryCommitted, int>(
        [&](EffectContext&, const contracts::InventoryCommitted& e) {
          if (e.order_id == poison) throw PermanentError("the provider rejects this order");
          return 1;
        },
        [&](Context& ctx, const contracts::InventoryCommitted& e, const int&) {
          if (e.order_id == poison) handler_runs_for_poison++;
          Ship(ctx, e);
        });
  });
  std::vector<contracts::Envelope> sent;
  for (int i = 0; i < 100; ++i) {
    sent.push_back(contracts::MakeEnvelope(Committed(i == 50 ? poison : contracts::NewUuid())));
  }
  PublishBatch(sent);
  ASSERT_TRUE(Settles(99, 1));
  EXPECT_EQ(Shipments(), 99);
  EXPECT_EQ(handler_runs_for_poison, 0);
  auto d = GetDeadLetter();
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->message.headers.GetString(dl::kErrorMessage), "the provider rejects this order");
  EXPECT_EQ(d->message.message_id, sent[50].message_id);
}

// A handler failure makes the batch run one by one; the others keep their effect's
// result instead of calling out again (a second call may fail where the first succeeded,
// and that success would be lost).
TEST_F(RuntimeTest, BatchRunOneByOneKeepsEachEffectResult) {
  const std::string poison = contracts::NewUuid();
  std::mutex mutex;
  std::map<std::string, int> effect_runs;
  const auto register_handlers = [&](Worker& w) {
    w.On<contracts::InventoryCommitted, int>(
        [&](EffectContext&, const contracts::InventoryCommitted& e) {
          std::lock_guard lock(mutex);
          return ++effect_runs[e.order_id];
        },
        [&](Context& ctx, const contracts::InventoryCommitted& e, const int&) {
          if (e.order_id == poison) throw PermanentError("handler refuses this order");
          Ship(ctx, e);
        });
  };
  StartWorkerWith(register_handlers);
  // Published while the worker is stopped, so they wait together and share batches.
  worker_.Stop();
  std::vector<contracts::Envelope> sent;
  for (int i = 0; i < 60; ++i) {
    sent.push_back(contracts::MakeEnvelope(Committed(i == 30 ? poison : contracts::NewUuid())));
  }
  PublishBatch(sent);
  StartWorkerWith(register_handlers);
  ASSERT_TRUE(Settles(59, 1));
  EXPECT_EQ(Shipments(), 59);
  std::lock_guard lock(mutex);
  for (const auto& env : sent) {
    EXPECT_EQ(effect_runs[env.correlation_id], 1) << "effect of order " << env.correlation_id << " ran again";
  }
}

TEST_F(RuntimeTest, StopReturnsPromptlyAndUnhandledMessagesStayQueued) {
  StartWorker(Ship);
  worker_.Stop();
  Publish(Committed(contracts::NewUuid()));
  EXPECT_EQ(probe_->Connection().InspectQueue("shipping").message_count, 1u);
}

}  // namespace
}  // namespace choreo::worker

namespace choreo::worker {
namespace {

// A scrape after a worker is gone must not reach into it (its collector is removed).
TEST(RuntimeLifetime, MetricsScrapeAfterWorkerDestructionIsSafe) {
  testing::TestVhost vhost("lifetime");
  testing::TestDatabase db(testing::DbKind::kSqlite, "lifetime");
  {
    Worker worker({.name = "shipping", .amqp_url = vhost.AmqpUrl(), .store_url = db.Url()});
    std::thread runner([&] { worker.Run(); });
    ASSERT_TRUE(worker.WaitUntilReady(20s));
    EXPECT_NE(metrics::Registry::Default().Render().find("choreo_outbox_backlog{worker=\"shipping\"}"), std::string::npos);
    worker.Stop();
    runner.join();
  }
  EXPECT_NO_THROW(metrics::Registry::Default().Render());
}

}  // namespace
}  // namespace choreo::worker
