// Failure routing: what an exception from an effect or a handler means for its message.
// (Where the message then goes is policy_test; the publishing is runtime_it/reliability_it.)
#include <gtest/gtest.h>

#include <stdexcept>

#include "choreo/contracts/error.hpp"
#include "choreo/store/errors.hpp"
#include "choreo/worker/errors.hpp"
#include "failure_stage.hpp"

namespace choreo::worker::detail {
namespace {

template <class E>
Classified Of(const E& error) {
  return Classify(std::make_exception_ptr(error));
}

TEST(FailureStage, PermanentAndContractErrorsAreTheMessages) {
  Classified permanent = Of(PermanentError("card number malformed"));
  EXPECT_EQ(permanent.kind, FailureKind::kPermanent);
  EXPECT_EQ(permanent.error, "card number malformed");
  EXPECT_FALSE(permanent.dependency);
  Classified contract = Of(contracts::ContractError(contracts::ErrorKind::kInvalidValue, "/payload/x", "bad"));
  EXPECT_EQ(contract.kind, FailureKind::kContract);
  EXPECT_FALSE(contract.dependency);
}

TEST(FailureStage, ATransientErrorIsRetriedWithoutTouchingACircuit) {
  Classified c = Of(TransientError("provider said 503 for this request"));
  EXPECT_EQ(c.kind, FailureKind::kTransient);
  EXPECT_FALSE(c.dependency);
}

TEST(FailureStage, ADependencyErrorCountsAgainstItsCircuit) {
  Classified c = Of(DependencyError("provider", "connection refused"));
  EXPECT_EQ(c.kind, FailureKind::kTransient);
  EXPECT_EQ(c.dependency, "provider");
  EXPECT_EQ(c.error, "connection refused");
}

TEST(FailureStage, ATransientStoreErrorCountsAgainstTheStoreCircuit) {
  Classified c = Of(store::TransientStoreError("database is locked"));
  EXPECT_EQ(c.kind, FailureKind::kTransient);
  EXPECT_EQ(c.dependency, std::string(kStoreCircuit));
}

TEST(FailureStage, AnythingElseIsUnexpectedEvenWhenItIsNoStdException) {
  EXPECT_EQ(Of(std::out_of_range("map::at")).kind, FailureKind::kUnexpected);
  EXPECT_EQ(Of(store::StoreError("constraint failed")).kind, FailureKind::kUnexpected);
  EXPECT_FALSE(Of(store::StoreError("constraint failed")).dependency);
  Classified odd = Of(42);
  EXPECT_EQ(odd.kind, FailureKind::kUnexpected);
  EXPECT_FALSE(odd.error.empty());
}

}  // namespace
}  // namespace choreo::worker::detail
