#pragma once
// What the workers' integration tests run a worker in: a vhost of the test's own on the
// test broker, a database of its own, an EventProbe on that vhost, and the worker itself
// running in the test process on a thread of its own.
//
//   class ShippingWorkerIt : public testing::WorkerFixture<::testing::TestWithParam<DbKind>> {
//     void SetUp() override {
//       OpenRig("shipping", GetParam());
//       ASSERT_TRUE(worker_.Start(RigOptions("shipping"), [](worker::Worker& w) { Register(w, config); }));
//       probe_->Observe("shipping");
//     }
//   };
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

#include "choreo/testing/event_probe.hpp"
#include "choreo/testing/running_worker.hpp"
#include "choreo/testing/store_fixture.hpp"
#include "choreo/testing/test_database.hpp"
#include "choreo/testing/testing.hpp"

namespace choreo::testing {

// A gtest fixture base (Base: ::testing::Test, or ::testing::TestWithParam<DbKind> for a
// test that runs on both stores: instantiate it with EveryStore(), StoreName) holding the
// rig; TearDown stops the worker.
template <class Base = ::testing::Test>
class WorkerFixture : public Base {
 protected:
  void TearDown() override { worker_.Stop(); }

  // A vhost and a database of kind `kind`, both named after `prefix`, and a probe on the
  // vhost.
  void OpenRig(std::string_view prefix, DbKind kind) {
    vhost_ = std::make_unique<TestVhost>(prefix);
    db_ = std::make_unique<TestDatabase>(kind, prefix);
    probe_ = std::make_unique<EventProbe>(vhost_->AmqpUrl());
  }

  // Options of a worker called `name` on the rig's vhost and database, without an admin
  // HTTP port.
  worker::WorkerOptions RigOptions(std::string name) const {
    return {.name = std::move(name), .amqp_url = vhost_->AmqpUrl(), .store_url = db_->Url(), .http_port = -1};
  }

  std::unique_ptr<TestVhost> vhost_;
  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<EventProbe> probe_;
  RunningWorker worker_;
};

}  // namespace choreo::testing
