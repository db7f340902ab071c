#include "tools/idabus-engine/descriptors.hpp"

#include <gtest/gtest.h>

namespace idabus::engine {
namespace {

void expect_plan(const descriptor_plan& plan, std::uint64_t soft_limit, std::size_t max_connections, bool lowered) {
  EXPECT_EQ(plan.soft_limit, soft_limit);
  EXPECT_EQ(plan.max_connections, max_connections);
  EXPECT_EQ(plan.connections_lowered, lowered);
}

TEST(PlanDescriptors, RaisesTheSoftLimitToMakeRoomForEveryConnectionAndTheEngine) {
  // systemd's default for a service: 1,024 soft, 524,288 hard.
  const auto plan = plan_descriptors(1024, 1024, 524288, 64);
  expect_plan(plan, 1088, 1024, false);
}

TEST(PlanDescriptors, LowersTheConnectionCapWhenTheHardLimitLeavesNoRoom) {
  const auto plan = plan_descriptors(1024, 160, 160, 64);
  expect_plan(plan, 160, 96, true);
}

TEST(PlanDescriptors, RaisesTheSoftLimitAsFarAsTheHardOneAllowsThenFitsTheCap) {
  const auto plan = plan_descriptors(1024, 256, 512, 64);
  expect_plan(plan, 512, 448, true);
}

TEST(PlanDescriptors, LeavesALargerSoftLimitAndTheCapAlone) {
  const auto plan = plan_descriptors(1024, 20000, 20000, 64);
  expect_plan(plan, 20000, 1024, false);
}

TEST(PlanDescriptors, KeepsOneConnectionUnderALimitSmallerThanWhatTheEngineKeeps) {
  const auto plan = plan_descriptors(1024, 40, 40, 64);
  expect_plan(plan, 40, 1, true);
}

}  // namespace
}  // namespace idabus::engine
