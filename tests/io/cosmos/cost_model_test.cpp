#include "io/cosmos/cost_model.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <stdexcept>

namespace cosmos = idabus::io::cosmos;

namespace {

// cosmos-emulator's write charge (tools/cosmos-emulator/ru_model.hpp): 4.55 + 0.45·KB, at least 1 KB.
double emulator_write(std::size_t bytes) { return 4.55 + 0.45 * cosmos::kilobytes(bytes); }

const std::string resources = "dbs/idabus/colls/Resources";

}  // namespace

TEST(CostModel, AnswersThePriorBeforeAnyCharge) {
  cosmos::cost_model model;
  EXPECT_DOUBLE_EQ(model.estimate(resources, cosmos::operation_kind::point_write, 2048), 4.5 + 0.5 * 2);
  EXPECT_DOUBLE_EQ(model.estimate(resources, cosmos::operation_kind::read, 0), 1.0);
}

TEST(CostModel, ConvergesToTheEmulatorsWriteChargesFromWrongPriors) {
  cosmos::cost_model_options options;
  options.priors[static_cast<std::size_t>(cosmos::operation_kind::bulk_write)] = {0, 5};  // 5 RU per KB
  cosmos::cost_model model(options);
  for (int i = 0; i < 2000; ++i) {
    const std::size_t bytes = 700 + static_cast<std::size_t>(i * 7919 % 20000);
    model.observe(resources, cosmos::operation_kind::bulk_write, bytes, emulator_write(bytes));
  }
  const auto fit = model.fitted(resources, cosmos::operation_kind::bulk_write);
  EXPECT_NEAR(fit.a, 4.55, 0.05);
  EXPECT_NEAR(fit.b, 0.45, 0.01);
  EXPECT_NEAR(model.estimate(resources, cosmos::operation_kind::bulk_write, 100 * 1024), 49.55, 0.5);
}

TEST(CostModel, LearnsEachCollectionAndKindApart) {
  cosmos::cost_model model;
  for (int i = 0; i < 500; ++i) model.observe(resources, cosmos::operation_kind::read, 0, 3.0);
  EXPECT_NEAR(model.estimate(resources, cosmos::operation_kind::read, 0), 3.0, 0.01);
  EXPECT_DOUBLE_EQ(model.estimate("dbs/idabus/colls/Events", cosmos::operation_kind::read, 0), 1.0);
  EXPECT_DOUBLE_EQ(model.estimate(resources, cosmos::operation_kind::point_write, 1024), 5.0);
}

TEST(CostModel, AFewChargesDoNotSwingAFreshModelFar) {
  cosmos::cost_model model;
  model.observe(resources, cosmos::operation_kind::point_write, 1024, 50.0);
  const double estimate = model.estimate(resources, cosmos::operation_kind::point_write, 1024);
  EXPECT_GT(estimate, 5.0);
  EXPECT_LT(estimate, 25.0);
}

TEST(CostModel, AnEarlyOutlierChargeMovesTheEstimateByAFewRuOnly) {
  cosmos::cost_model model;
  model.observe(resources, cosmos::operation_kind::point_write, 1024, 5000.0);  // 1,000 × the estimate
  // Counted in full it would lift the estimate by about 5000 ÷ 5 (the prior weighs 4 charges).
  EXPECT_LT(model.estimate(resources, cosmos::operation_kind::point_write, 1024), 10.0);
  for (int i = 0; i < 20; ++i) model.observe(resources, cosmos::operation_kind::point_write, 1024, 5.0);
  EXPECT_LT(model.estimate(resources, cosmos::operation_kind::point_write, 1024), 6.0);  // and it fades
}

TEST(CostModel, StillFollowsALevelTenTimesThePriorWithinAFewDozenCharges) {
  cosmos::cost_model model;
  for (int i = 0; i < 40; ++i) model.observe(resources, cosmos::operation_kind::read, 0, 10.0);  // prior: 1 RU
  const double estimate = model.estimate(resources, cosmos::operation_kind::read, 0);
  EXPECT_GT(estimate, 8.5);  // unbounded: 9.3 (what the prior's remaining weight leaves)
  EXPECT_LE(estimate, 10.0);
}

TEST(CostModel, IgnoresNegativeChargesAndRejectsBadOptions) {
  cosmos::cost_model model;
  model.observe(resources, cosmos::operation_kind::point_write, 1024, -1);
  EXPECT_DOUBLE_EQ(model.estimate(resources, cosmos::operation_kind::point_write, 1024), 5.0);
  cosmos::cost_model_options bad;
  bad.decay = 0;
  EXPECT_THROW(cosmos::cost_model{bad}, std::invalid_argument);
  bad = {};
  bad.outlier_factor = 1;
  EXPECT_THROW(cosmos::cost_model{bad}, std::invalid_argument);
}

TEST(CostModel, ChargesOnALineWithANegativeInterceptNeverGiveANegativeEstimate) {
  cosmos::cost_model model;
  // 2 KB -> 0.1 RU and 100 KB -> 60 RU fit a line through about -1.1 RU at 0 KB (-0.5 RU at 1 KB).
  for (int i = 0; i < 200; ++i) {
    model.observe(resources, cosmos::operation_kind::point_write, 2048, 0.1);
    model.observe(resources, cosmos::operation_kind::point_write, 100 * 1024, 60);
  }
  for (std::size_t bytes : {std::size_t{1}, std::size_t{512}, std::size_t{1024}, std::size_t{4096}}) {
    EXPECT_GE(model.estimate(resources, cosmos::operation_kind::point_write, bytes), 0.0) << bytes << " bytes";
  }
  EXPECT_GT(model.estimate(resources, cosmos::operation_kind::point_write, 100 * 1024), 50.0);
}
