#include "pipeline/completion_watermark.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

using idabus::pipeline::completion_watermark;

TEST(CompletionWatermark, AdvancesOnlyOverAnUnbrokenPrefix) {
  completion_watermark w;
  w.complete(1);
  w.complete(2);
  EXPECT_EQ(w.watermark(), 0u);  // item 0 is still out
  EXPECT_EQ(w.waiting(), 2u);
  w.complete(0);
  EXPECT_EQ(w.watermark(), 3u);
  EXPECT_EQ(w.waiting(), 0u);
  w.complete(4);
  EXPECT_EQ(w.watermark(), 3u);
  w.complete(3);
  EXPECT_EQ(w.watermark(), 5u);
}

TEST(CompletionWatermark, AResumedJobStartsAtItsCheckpoint) {
  completion_watermark w(100);
  EXPECT_EQ(w.watermark(), 100u);
  w.complete(100);
  EXPECT_EQ(w.watermark(), 101u);
}

TEST(CompletionWatermark, AnItemReportedTwiceIsAnError) {
  completion_watermark w;
  w.complete(0);
  w.complete(2);
  EXPECT_THROW(w.complete(0), std::invalid_argument);
  EXPECT_THROW(w.complete(2), std::invalid_argument);
  EXPECT_EQ(w.watermark(), 1u);
}
