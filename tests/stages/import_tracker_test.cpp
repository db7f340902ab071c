#include "stages/import_tracker.hpp"

#include "io/cosmos/epk.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace files = idabus::io::files;
namespace cosmos = idabus::io::cosmos;
using idabus::stages::epk_range;
using idabus::stages::import_tracker;

namespace {

std::vector<files::import_input_file> three_files() {
  // Tickets 0-2 in a, none in b (empty), 3-4 in c.
  return {{"a.000001.json", 3, 30}, {"a.000002.json", 0, 2}, {"a.000003.json", 2, 20}};
}

const std::vector<epk_range> two_ranges{{"", "7F"}, {"7F", "FF"}};
const std::string low = "10";   // an EPK in range 0
const std::string high = "A0";  // an EPK in range 1

files::import_reject reason(std::string why) {
  files::import_reject r;
  r.reason = std::move(why);
  return r;
}

std::vector<std::uint64_t> completed_per_range(const import_tracker& t) {
  std::vector<std::uint64_t> out;
  for (const auto& r : t.progress()) out.push_back(r.completed);
  return out;
}

}  // namespace

TEST(ImportTracker, EachRangeProgressesToItsFirstUnfinishedDocument) {
  import_tracker t(three_files(), two_ranges);
  EXPECT_EQ(t.total_documents(), 5u);
  t.sent(0, high, 10);  // the hot range's first document stays in flight
  t.sent(1, low, 10);
  t.sent(2, low, 10);
  t.sent(3, high, 10);
  t.passed(0, 4);  // range 0 was read on to ticket 4 (ticket 3 is not its own)
  EXPECT_EQ(completed_per_range(t), (std::vector<std::uint64_t>{1, 0}));
  t.written(1);
  t.written(2);
  t.written(3);
  // Range 0 finished everything read so far; range 1 waits for ticket 0.
  EXPECT_EQ(completed_per_range(t), (std::vector<std::uint64_t>{4, 0}));
  t.written(0);
  EXPECT_EQ(completed_per_range(t), (std::vector<std::uint64_t>{4, 4}));
  EXPECT_EQ(t.progress()[1].min, "7F");
  EXPECT_EQ(t.counts().written, 4u);
  EXPECT_EQ(t.counts().bytes_written, 40u);
  EXPECT_EQ(t.position(), 4u);
}

TEST(ImportTracker, AResumedRunSkipsWhatEachRangeFinished) {
  files::import_checkpoint saved;
  saved.position = 4;
  saved.ranges = {{"", "7F", 4}, {"7F", "FF", 1}};
  import_tracker t(three_files(), two_ranges, &saved);
  EXPECT_EQ(t.resume_floor(), 1u);
  EXPECT_TRUE(t.done_before(0, high));
  EXPECT_FALSE(t.done_before(1, high));  // the hot range had not finished it
  EXPECT_TRUE(t.done_before(3, low));
  EXPECT_FALSE(t.done_before(4, low));   // never read
  EXPECT_TRUE(t.done_before(2, ""));     // refused before: in its reject file
  EXPECT_FALSE(t.done_before(4, ""));
  import_tracker fresh(three_files(), two_ranges);
  EXPECT_FALSE(fresh.done_before(0, low));
}

TEST(ImportTracker, LocatesTicketsInTheirFilesSkippingEmptyOnes) {
  import_tracker t(three_files(), two_ranges);
  EXPECT_EQ(t.locate(2).file, 0u);
  EXPECT_EQ(t.locate(2).index, 2u);
  EXPECT_EQ(t.locate(3).file, 2u);
  EXPECT_EQ(t.locate(3).index, 0u);
  EXPECT_EQ(t.locate(4).index, 1u);
  EXPECT_THROW(t.locate(5), std::invalid_argument);
}

TEST(ImportTracker, HandsOverRejectionsOnceTheirRangeHasPassedThemEachOnce) {
  import_tracker t(three_files(), two_ranges);
  t.sent(0, low, 1);
  t.sent(1, low, 1);
  t.refused(2, reason("no key"));
  t.sent(3, high, 1);
  t.passed(0, 4);
  t.rejected(1, reason("too large"));  // behind ticket 0 of its range
  t.rejected(3, reason("bad"));
  auto first = t.take_settled_rejections();
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].reason, "no key");  // refused: settled once every range passed it
  EXPECT_EQ(first[0].file, "a.000001.json");
  EXPECT_EQ(first[0].index, 2u);
  EXPECT_EQ(first[1].reason, "bad");
  EXPECT_EQ(first[1].file, "a.000003.json");
  EXPECT_EQ(first[1].index, 0u);
  EXPECT_TRUE(t.take_settled_rejections().empty());
  t.written(0);
  auto second = t.take_settled_rejections();
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].reason, "too large");
  EXPECT_EQ(t.counts().rejected, 3u);
}

TEST(ImportTracker, EachRangeIsReportedOnItsOwnAndThePositionIsTheSlowestRanges) {
  import_tracker t(three_files(), two_ranges);
  EXPECT_EQ(t.range_count(), 2u);
  EXPECT_EQ(t.range_index(low), 0u);
  EXPECT_EQ(t.range_index(high), 1u);
  EXPECT_EQ(t.range_index(""), 0u);  // documents without a key: with range 0
  // The cold range's reader runs ahead through the whole input while the hot one is at ticket 1.
  t.sent(0, high, 1);
  t.sent(2, low, 1);
  t.refused(3, reason("no key"));
  t.sent(4, low, 1);
  t.passed(0, 5);
  t.passed(1, 1);
  EXPECT_EQ(t.position(), 1u);
  t.written(2);
  t.written(4);
  // Range 0 finished everything: its progress lies beyond the position.
  EXPECT_EQ(completed_per_range(t), (std::vector<std::uint64_t>{5, 0}));
  // The refusal at ticket 3 waits until every range has passed it (a checkpoint covers it).
  EXPECT_TRUE(t.take_settled_rejections().empty());
  t.passed(1, 4);
  ASSERT_EQ(t.take_settled_rejections().size(), 1u);
  t.written(0);
  t.passed(1, 5);
  EXPECT_EQ(t.position(), 5u);
  EXPECT_EQ(completed_per_range(t), (std::vector<std::uint64_t>{5, 5}));
}

TEST(ImportTracker, AResumedRunSkipsWhatARangeFinishedBeyondThePosition) {
  files::import_checkpoint saved;
  saved.position = 1;
  saved.ranges = {{"", "7F", 5}, {"7F", "FF", 1}};
  import_tracker t(three_files(), two_ranges, &saved);
  EXPECT_TRUE(t.done_before(4, low));
  EXPECT_FALSE(t.done_before(1, high));
  EXPECT_FALSE(t.done_before(3, ""));  // refused documents: by the position
}

TEST(ImportTracker, DocumentsMustBeReportedInOrderAndFinishedOnce) {
  import_tracker t(three_files(), two_ranges);
  t.sent(1, low, 1);
  EXPECT_THROW(t.skipped(0, low), std::invalid_argument);  // behind its range's position
  EXPECT_THROW(t.passed(0, 1), std::invalid_argument);     // a range never goes back
  t.skipped(0, high);                                      // the other range's
  t.written(1);
  EXPECT_THROW(t.written(1), std::invalid_argument);
  EXPECT_THROW(t.written(2), std::invalid_argument);  // never sent
  import_tracker no_ranges(three_files(), {});
  no_ranges.sent(0, cosmos::effective_partition_key_v2(std::vector<cosmos::pk_component>{std::string("x")}), 1);
  EXPECT_EQ(no_ranges.progress().size(), 1u);
}
