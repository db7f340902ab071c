#include "stages/merge_index.hpp"

#include <gtest/gtest.h>

namespace idabus::stages {
namespace {

using io::json::scalar;

std::string key(std::string id) { return merge_key(scalar(std::string("Person")), id); }

// Two sets: 0 = full, 1 = incremental whose deltaSince is 1000 (seconds).
merge_index two_sets() { return merge_index({std::nullopt, 1000}); }

constexpr bool basis = false;
constexpr bool delta = true;

TEST(MergeKey, PartitionKeyTypesAndIdsNeverCollide) {
  EXPECT_NE(merge_key(scalar(std::string("1")), "a"), merge_key(scalar(1.0), "a"));
  EXPECT_NE(merge_key(scalar(true), "a"), merge_key(scalar(std::string("1")), "a"));
  EXPECT_NE(merge_key(scalar(nullptr), "a"), merge_key(std::nullopt, "a"));
  EXPECT_NE(merge_key(scalar(std::string("a")), "bc"), merge_key(scalar(std::string("ab")), "c"));
  EXPECT_EQ(merge_key(std::nullopt, "a"), merge_key(scalar(std::monostate{}), "a"));
  EXPECT_EQ(merge_key(scalar(2.0), "a"), merge_key(scalar(2.0), "a"));
}

TEST(MergeIndex, ALaterSetBeatsAnEarlierOneWhateverTheTs) {
  auto index = two_sets();
  index.observe_version(key("a"), {0, 1, 0}, delta, 2000);
  index.observe_version(key("a"), {1, 0, 3}, basis, 1500);
  index.resolve();
  EXPECT_EQ(index.decide(key("a"), {1, 0, 3}), merge_outcome::kept);
  EXPECT_EQ(index.decide(key("a"), {0, 1, 0}), merge_outcome::superseded);
}

TEST(MergeIndex, ATombstoneOfALaterSetRemovesEveryEarlierVersion) {
  auto index = two_sets();
  index.observe_version(key("a"), {0, 1, 0}, delta, 900);
  index.observe_tombstone(key("a"), 1, 100);  // an event time long before: still a later set
  index.resolve();
  EXPECT_EQ(index.decide(key("a"), {0, 1, 0}), merge_outcome::superseded);
  EXPECT_EQ(index.deletes_applied(), 1u);
  EXPECT_EQ(index.kept_versions(), 0u);
}

TEST(MergeIndex, AVersionOfALaterSetBringsADeletedDocumentBack) {
  merge_index index({std::nullopt, 1000, 2000});
  index.observe_version(key("a"), {0, 1, 0}, delta, 900);
  index.observe_tombstone(key("a"), 1, 950'000);
  index.observe_version(key("a"), {2, 0, 0}, basis, 1500);
  index.resolve();
  EXPECT_EQ(index.decide(key("a"), {2, 0, 0}), merge_outcome::kept);
  EXPECT_EQ(index.deletes_applied(), 0u);
}

TEST(MergeIndex, ADeltaVersionBeatsATombstoneOfTheSameSet) {
  auto index = two_sets();
  index.observe_version(key("a"), {1, 2, 0}, delta, 1001);
  index.observe_tombstone(key("a"), 1, 1'005'000);  // even a later event time
  index.resolve();
  EXPECT_EQ(index.decide(key("a"), {1, 2, 0}), merge_outcome::kept);
}

TEST(MergeIndex, ADeltaVersionBeatsABasisVersionOfTheSameSetWithAHigherTs) {
  auto index = two_sets();
  index.observe_version(key("a"), {1, 0, 0}, basis, 1200);
  index.observe_version(key("a"), {1, 3, 0}, delta, 1100);
  index.resolve();
  EXPECT_EQ(index.decide(key("a"), {1, 3, 0}), merge_outcome::kept);
  EXPECT_EQ(index.decide(key("a"), {1, 0, 0}), merge_outcome::superseded);
}

TEST(MergeIndex, BasisVersionWrittenAfterTheDeletesSecondWins) {
  auto index = two_sets();
  index.observe_tombstone(key("a"), 1, 500'999);
  index.observe_version(key("a"), {1, 0, 0}, basis, 501);
  index.resolve();
  EXPECT_EQ(index.decide(key("a"), {1, 0, 0}), merge_outcome::kept);
}

TEST(MergeIndex, BasisVersionOlderThanTheDeletesSecondLoses) {
  auto index = two_sets();
  index.observe_tombstone(key("a"), 1, 501'000);
  index.observe_version(key("a"), {1, 0, 0}, basis, 500);
  index.resolve();
  EXPECT_EQ(index.decide(key("a"), {1, 0, 0}), merge_outcome::superseded);
  EXPECT_EQ(index.deletes_applied(), 1u);
}

TEST(MergeIndex, SameSecondBeforeDeltaSinceTheVersionWins) {
  auto index = two_sets();  // deltaSince 1000
  index.observe_tombstone(key("a"), 1, 999'400);
  index.observe_version(key("a"), {1, 0, 0}, basis, 999);
  index.resolve();
  EXPECT_EQ(index.decide(key("a"), {1, 0, 0}), merge_outcome::kept);
}

TEST(MergeIndex, SameSecondAtOrAfterDeltaSinceTheTombstoneWins) {
  auto index = two_sets();  // deltaSince 1000
  index.observe_tombstone(key("a"), 1, 1'000'400);
  index.observe_version(key("a"), {1, 0, 0}, basis, 1000);
  index.observe_tombstone(key("b"), 1, 1'001'000);
  index.observe_version(key("b"), {1, 0, 1}, basis, 1001);
  index.resolve();
  EXPECT_EQ(index.decide(key("a"), {1, 0, 0}), merge_outcome::superseded);
  EXPECT_EQ(index.decide(key("b"), {1, 0, 1}), merge_outcome::superseded);
}

TEST(MergeIndex, SameSecondWithoutDeltaSinceTheTombstoneWins) {
  merge_index index({std::nullopt, std::nullopt});
  index.observe_tombstone(key("a"), 1, 999'400);
  index.observe_version(key("a"), {1, 0, 0}, basis, 999);
  index.resolve();
  EXPECT_EQ(index.decide(key("a"), {1, 0, 0}), merge_outcome::superseded);
}

TEST(MergeIndex, TheLatestTombstoneOfASetCounts) {
  auto index = two_sets();
  index.observe_tombstone(key("a"), 1, 700'000);
  index.observe_version(key("a"), {1, 0, 0}, basis, 800);
  index.observe_tombstone(key("a"), 1, 900'000);
  index.resolve();
  EXPECT_EQ(index.decide(key("a"), {1, 0, 0}), merge_outcome::superseded);
}

TEST(MergeIndex, AmongVersionsOfOneKindTheHighestTsWinsThenTheLaterOne) {
  auto index = two_sets();
  index.observe_version(key("a"), {1, 0, 5}, basis, 1300);
  index.observe_version(key("a"), {1, 1, 0}, basis, 1200);
  index.observe_version(key("b"), {1, 0, 1}, basis, 1300);
  index.observe_version(key("b"), {1, 1, 0}, basis, 1300);
  index.observe_version(key("b"), {1, 0, 9}, basis, 1300);
  index.resolve();
  EXPECT_EQ(index.decide(key("a"), {1, 0, 5}), merge_outcome::kept);
  EXPECT_EQ(index.decide(key("b"), {1, 1, 0}), merge_outcome::kept);
  EXPECT_EQ(index.kept_versions(), 2u);
}

TEST(MergeIndex, ObservationOrderAcrossSetsDoesNotMatter) {
  merge_index forward({std::nullopt, 1000, 2000});
  merge_index backward({std::nullopt, 1000, 2000});
  // The later set's tombstone wins although its event time is before the earlier set's _ts: a
  // version of set 1 seen after it must not be taken for a basis version of set 2.
  forward.observe_version(key("a"), {1, 0, 0}, basis, 1500);
  forward.observe_tombstone(key("a"), 2, 1'400'000);
  backward.observe_tombstone(key("a"), 2, 1'400'000);
  backward.observe_version(key("a"), {1, 0, 0}, basis, 1500);
  forward.resolve();
  backward.resolve();
  EXPECT_EQ(forward.decide(key("a"), {1, 0, 0}), merge_outcome::superseded);
  EXPECT_EQ(backward.decide(key("a"), {1, 0, 0}), merge_outcome::superseded);
  EXPECT_EQ(forward.deletes_applied(), 1u);
  EXPECT_EQ(backward.deletes_applied(), 1u);
}

TEST(MergeIndex, FullBasisVersionsAreKeptUnlessTheirKeyIsIndexed) {
  auto index = two_sets();
  index.observe_tombstone(key("gone"), 1, 1'100'000);
  index.observe_version(key("newer"), {1, 0, 0}, basis, 1100);
  index.observe_tombstone(key("never-backed-up"), 1, 1'100'000);
  index.resolve();
  EXPECT_EQ(index.decide_full_basis(key("same"), 900), merge_outcome::kept);
  EXPECT_EQ(index.decide_full_basis(key("gone"), 900), merge_outcome::superseded);
  EXPECT_EQ(index.decide_full_basis(key("newer"), 900), merge_outcome::superseded);
  // Only "gone" had a version that a tombstone removed.
  EXPECT_EQ(index.deletes_applied(), 1u);
}

// A full backup's tombstones (deletes made while its basis ran) meet its basis versions, which
// are not indexed: the same-set rule decides with each version's _ts (full deltaSince here 900).
TEST(MergeIndex, AFullSetsTombstoneAgainstItsBasisFollowsTheSameSetRule) {
  merge_index index({900, 2000});
  index.observe_tombstone(key("deleted-during-basis"), 0, 950'000);
  index.observe_tombstone(key("re-created-after"), 0, 950'000);
  index.observe_tombstone(key("same-second-early"), 0, 899'500);
  index.observe_tombstone(key("same-second-late"), 0, 950'500);
  index.observe_tombstone(key("deleted-in-delta-range"), 0, 950'000);
  index.observe_version(key("deleted-in-delta-range"), {0, 3, 0}, delta, 951);
  index.resolve();
  EXPECT_EQ(index.decide_full_basis(key("deleted-during-basis"), 940), merge_outcome::superseded);
  EXPECT_EQ(index.decide_full_basis(key("re-created-after"), 951), merge_outcome::kept);
  EXPECT_EQ(index.decide_full_basis(key("same-second-early"), 899), merge_outcome::kept);
  EXPECT_EQ(index.decide_full_basis(key("same-second-late"), 950), merge_outcome::superseded);
  EXPECT_EQ(index.decide_full_basis(key("deleted-in-delta-range"), 960), merge_outcome::superseded);
  EXPECT_EQ(index.decide(key("deleted-in-delta-range"), {0, 3, 0}), merge_outcome::kept);
  EXPECT_EQ(index.deletes_applied(), 2u);  // deleted-during-basis and same-second-late
}

TEST(MergeIndex, AFullSetsTombstoneIsOverriddenByALaterSet) {
  merge_index index({900, 2000});
  index.observe_tombstone(key("a"), 0, 950'000);
  index.observe_version(key("a"), {1, 0, 0}, basis, 1500);
  index.resolve();
  EXPECT_EQ(index.decide_full_basis(key("a"), 960), merge_outcome::superseded);
  EXPECT_EQ(index.decide(key("a"), {1, 0, 0}), merge_outcome::kept);
}

TEST(MergeIndex, KeysOfOtherPartitionsAreOtherDocuments) {
  auto index = two_sets();
  index.observe_tombstone(merge_key(scalar(std::string("Group")), "a"), 1, 1'100'000);
  index.resolve();
  EXPECT_EQ(index.decide_full_basis(key("a"), 900), merge_outcome::kept);
}

}  // namespace
}  // namespace idabus::stages
