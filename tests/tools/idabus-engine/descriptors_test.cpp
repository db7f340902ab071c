#include "tools/idabus-engine/descriptors.hpp"

#include <gtest/gtest.h>

namespace idabus::engine {
namespace {

TEST(PlanDescriptors, RaisesTheSoftLimitToMakeRoomForEveryConnectionAndTheEngine) {
  // systemd's default for a service: 1,024 soft, 524,288 hard.
  const auto plan = plan_descriptors(1024, 1024, 524288, 64);
  EXPECT_EQ(plan.soft_limit, 1088u);
  EXPECT_EQ(plan.max_connections, 1024u);
  EXPECT_FALSE(plan.connections_lowered);
}

TEST(PlanDescriptors, LowersTheConnectionCapWhenTheHardLimitLeavesNoRoom) {
  const auto plan = plan_descriptors(1024, 160, 160, 64);
  EXPECT_EQ(plan.soft_limit, 160u);
  EXPECT_EQ(plan.max_connections, 96u);
  EXPECT_TRUE(plan.connections_lowered);
}

TEST(PlanDescriptors, RaisesTheSoftLimitAsFarAsTheHardOneAllowsThenFitsTheCap) {
  const auto plan = plan_descriptors(1024, 256, 512, 64);
  EXPECT_EQ(plan.soft_limit, 512u);
  EXPECT_EQ(plan.max_connections, 448u);
  EXPECT_TRUE(plan.connections_lowered);
}

TEST(PlanDescriptors, LeavesALargerSoftLimitAndTheCapAlone) {
  const auto plan = plan_descriptors(1024, 20000, 20000, 64);
  EXPECT_EQ(plan.soft_limit, 20000u);
  EXPECT_EQ(plan.max_connections, 1024u);
  EXPECT_FALSE(plan.connections_lowered);
}

TEST(PlanDescriptors, KeepsOneConnectionUnderALimitSmallerThanWhatTheEngineKeeps) {
  const auto plan = plan_descriptors(1024, 40, 40, 64);
  EXPECT_EQ(plan.max_connections, 1u);
  EXPECT_TRUE(plan.connections_lowered);
}

}  // namespace
}  // namespace idabus::engine
