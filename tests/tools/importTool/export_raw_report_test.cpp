#include "tools/importTool/export_raw_report.hpp"

#include <gtest/gtest.h>

namespace idabus::import_tool {

TEST(ExportRawReport, TheBudgetIsTheOfferSplitOverTheRangesUnderTheCap) {
  export_raw_budget b;
  b.provisioned = 10000;
  b.ranges = 4;
  EXPECT_DOUBLE_EQ(b.effective(), 10000);
  EXPECT_EQ(b.describe(), "budget 10000 RU/s: offer 10000 RU/s over 4 ranges (2500 each)");
  b.cap = 5000;
  EXPECT_DOUBLE_EQ(b.effective(), 5000);
  EXPECT_EQ(b.describe(), "budget 5000 RU/s: offer 10000 RU/s over 4 ranges (2500 each), capped at 5000 RU/s by --ru-budget");
  b.cap = 20000;  // a cap above the offer changes nothing
  EXPECT_DOUBLE_EQ(b.effective(), 10000);
  export_raw_budget none;
  EXPECT_DOUBLE_EQ(none.effective(), 0);
  EXPECT_NE(none.describe().find("no offer of its own"), std::string::npos);
}

TEST(ExportRawReport, DurationsReadAsAnOperatorWouldSayThem) {
  EXPECT_EQ(format_duration(38.4), "38 s");
  EXPECT_EQ(format_duration(725), "12 min 05 s");
  EXPECT_EQ(format_duration(7380), "2 h 03 min");
}

TEST(ExportRawReport, ProgressNamesDocumentsBytesRateAgainstTheBudgetThrottlesAndEta) {
  export_raw_budget b;
  b.provisioned = 10000;
  b.ranges = 4;
  export_raw_figures f;
  f.done = 12000;
  f.total = 50000;
  f.bytes = 36100000;
  f.ru_per_second = 9850;
  f.throttled = 3;
  f.seconds = 12;
  EXPECT_EQ(progress_line(f, b),
            "importTool: 12000/50000 documents (24.0 %), 36.1 MB, 9850 RU/s of 10000, 3 throttled (429), ETA 38 s");
}

TEST(ExportRawReport, TheSummarySaysWhatWasImportedAndHowFast) {
  export_raw_budget b;
  b.provisioned = 1000;
  b.ranges = 1;
  export_raw_figures f;
  f.done = f.total = f.written = 100;
  f.bytes = 2000000;
  f.ru = 500;
  f.seconds = 1;
  f.operations = 104;
  f.throttled = 4;
  f.requests = 3;
  EXPECT_EQ(summary_line(f, b, "db/c"),
            "importTool: imported 100 of 100 documents into db/c, 2.0 MB in 1.0 s: 100 docs/s, 500 RU/s (50.0 % of "
            "the 1000 RU/s budget), 4 of 104 operations throttled (429), 0 rejected, 3 bulk requests");
  f.mode = stages::write_mode::point;
  f.requests = 104;
  EXPECT_NE(summary_line(f, b, "db/c").find("4 of 104 operations throttled (429), 0 rejected, 104 point requests"),
            std::string::npos);
}

}  // namespace idabus::import_tool
