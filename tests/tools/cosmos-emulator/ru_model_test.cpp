#include "tools/cosmos-emulator/ru_model.hpp"

#include <gtest/gtest.h>

namespace idabus::emulator {
namespace {

TEST(RuModel, WriteOfOneKilobyteCostsAboutFive) { EXPECT_NEAR(write_charge(1024), 5.0, 0.01); }

TEST(RuModel, WriteOfHundredKilobytesCostsAboutFifty) { EXPECT_NEAR(write_charge(100 * 1024), 50.0, 1.0); }

TEST(RuModel, WritesBelowOneKilobyteCostLikeOneKilobyte) { EXPECT_DOUBLE_EQ(write_charge(10), write_charge(1024)); }

TEST(RuModel, WriteChargeGrowsWithSize) { EXPECT_LT(write_charge(2048), write_charge(4096)); }

TEST(RuModel, ReplaceCostsTwiceTheWrite) { EXPECT_DOUBLE_EQ(replace_charge(5000), 2 * write_charge(5000)); }

TEST(RuModel, DeleteCostsTheWriteOfTheStoredSize) { EXPECT_DOUBLE_EQ(delete_charge(3000), write_charge(3000)); }

TEST(RuModel, PointReadOfOneKilobyteCostsOne) { EXPECT_NEAR(read_charge(1024), 1.0, 0.01); }

TEST(RuModel, PointReadOfHundredKilobytesCostsAboutTen) { EXPECT_NEAR(read_charge(100 * 1024), 10.0, 0.2); }

TEST(RuModel, MissesCostOne) { EXPECT_DOUBLE_EQ(miss_charge(), 1.0); }

TEST(RuModel, QueryPageOfHundredOneKilobyteDocumentsCostsBasePlusReads) {
  const double page = query_page_base_charge() + 100 * read_charge(1024);
  EXPECT_NEAR(page, 102.5, 0.1);
}

TEST(RuModel, CountChargeGrowsSlowlyWithCountedDocuments) {
  EXPECT_DOUBLE_EQ(count_charge(0), query_page_base_charge());
  EXPECT_GT(count_charge(1000), count_charge(10));
}

}  // namespace
}  // namespace idabus::emulator
