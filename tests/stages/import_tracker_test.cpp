#include "stages/import_tracker.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace files = idabus::io::files;
using idabus::stages::import_tracker;

namespace {

std::vector<files::import_input_file> three_files() {
  // Tickets 0-2 in a, none in b (empty), 3-4 in c.
  return {{"a.000001.json", 3, 30}, {"a.000002.json", 0, 2}, {"a.000003.json", 2, 20}};
}

files::import_reject reason(std::string why) {
  files::import_reject r;
  r.reason = std::move(why);
  return r;
}

}  // namespace

TEST(ImportTracker, CompletedIsThePrefixOfTheInputWithFinalResults) {
  import_tracker t(three_files());
  EXPECT_EQ(t.total_documents(), 5u);
  for (std::uint64_t i = 0; i < 5; ++i) t.sent(i, 10);
  t.written(1);
  t.written(3);
  EXPECT_EQ(t.completed(), 0u);
  t.written(0);
  EXPECT_EQ(t.completed(), 2u);
  t.rejected(2, reason("too large"));
  EXPECT_EQ(t.completed(), 4u);
  EXPECT_EQ(t.counts().sent, 5u);
  EXPECT_EQ(t.counts().written, 3u);
  EXPECT_EQ(t.counts().rejected, 1u);
  EXPECT_EQ(t.counts().bytes_written, 30u);
}

TEST(ImportTracker, LocatesTicketsInTheirFilesSkippingEmptyOnes) {
  import_tracker t(three_files());
  EXPECT_EQ(t.locate(2).file, 0u);
  EXPECT_EQ(t.locate(2).index, 2u);
  EXPECT_EQ(t.locate(3).file, 2u);
  EXPECT_EQ(t.locate(3).index, 0u);
  EXPECT_EQ(t.locate(4).index, 1u);
  EXPECT_THROW(t.locate(5), std::invalid_argument);
}

TEST(ImportTracker, HandsOverOnlyRejectionsInsideTheCompletedPrefixEachOnce) {
  import_tracker t(three_files());
  t.rejected(4, reason("no key"));  // ticket 4 = c, index 1: beyond the prefix for now
  t.rejected(1, reason("too large"));
  EXPECT_TRUE(t.take_settled_rejections().empty());  // ticket 0 is still out
  t.written(0);
  auto first = t.take_settled_rejections();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].file, "a.000001.json");
  EXPECT_EQ(first[0].index, 1u);
  EXPECT_EQ(first[0].reason, "too large");
  EXPECT_TRUE(t.take_settled_rejections().empty());
  t.written(2);
  t.written(3);
  auto second = t.take_settled_rejections();
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].file, "a.000003.json");
  EXPECT_EQ(second[0].index, 1u);
  EXPECT_EQ(t.completed(), 5u);
}

TEST(ImportTracker, AResumedImportStartsAtItsCheckpoint) {
  import_tracker t(three_files(), 3);
  EXPECT_EQ(t.completed(), 3u);
  t.written(3);
  EXPECT_EQ(t.completed(), 4u);
  EXPECT_THROW(t.written(1), std::invalid_argument);  // inside the prefix: done before
  EXPECT_THROW(import_tracker(three_files(), 6), std::invalid_argument);
}
