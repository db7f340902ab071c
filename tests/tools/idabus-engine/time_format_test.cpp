#include "tools/idabus-engine/time_format.hpp"

#include <gtest/gtest.h>

namespace idabus::engine {
namespace {

TEST(TimeFormat, ParsesTheDesignExampleAndFormatsItBack) {
  const auto ms = parse_iso8601_ms("2023-01-05T15:54:06.479Z");
  ASSERT_TRUE(ms);
  EXPECT_EQ(*ms, 1672934046479);
  EXPECT_EQ(format_iso8601_ms(*ms), "2023-01-05T15:54:06.479Z");
}

TEST(TimeFormat, AcceptsOffsetsMissingFractionAndNoZone) {
  EXPECT_EQ(parse_iso8601_ms("2023-01-05T16:54:06+01:00"), 1672934046000);
  EXPECT_EQ(parse_iso8601_ms("2023-01-05T15:54:06"), 1672934046000);
  EXPECT_EQ(parse_iso8601_ms("2024-02-29T00:00:00.1234567Z"), 1709164800123);
  EXPECT_EQ(format_iso8601_ms(0), "1970-01-01T00:00:00.000Z");
}

TEST(TimeFormat, RejectsWhatIsNotADate) {
  for (const char* bad : {"", "yesterday", "2023-13-01T00:00:00Z", "2023-02-29T00:00:00Z", "2023-01-05T24:00:00Z",
                          "2023-01-05T15:54:06.Z", "2023-01-05T15:54:06Zjunk", "2023-01-05"}) {
    EXPECT_FALSE(parse_iso8601_ms(bad)) << bad;
  }
}

}  // namespace
}  // namespace idabus::engine
