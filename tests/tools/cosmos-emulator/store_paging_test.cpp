// Tests of store_paging.cpp (through the store's public interface).
#include "store_fixture.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace idabus::emulator {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> ids_of(const query_page& p) {
  std::vector<std::string> ids;
  simdjson::dom::parser parser;
  for (const auto& d : p.documents) ids.emplace_back(parser.parse(*d)["id"].get_string().value());
  return ids;
}

TEST_F(store_fixture, PagingReturnsEveryDocumentExactlyOnceWithWritesBetweenPages) {
  for (int i = 0; i < 300; ++i) ASSERT_EQ(create("d" + std::to_string(i), "p" + std::to_string(i % 17)).status, result_status::created);
  std::multiset<std::string> seen;
  query_options o;
  o.max_item_count = 37;
  std::optional<std::string> token;
  int pages = 0, extra = 0;
  do {
    if (token) o.continuation = *token;
    auto page = run("SELECT * FROM c", o);
    ASSERT_EQ(page.status, result_status::ok) << page.message;
    EXPECT_LE(page.documents.size(), 37u);
    for (auto& id : ids_of(page)) seen.insert(id);
    token = page.continuation;
    // Writes between pages: new documents anywhere in the key space.
    ASSERT_EQ(create("new" + std::to_string(extra), "q" + std::to_string(extra)).status, result_status::created);
    ++extra;
    ++pages;
  } while (token && pages < 100);
  EXPECT_FALSE(token);
  for (int i = 0; i < 300; ++i) EXPECT_EQ(seen.count("d" + std::to_string(i)), 1u) << i;
  for (const auto& id : seen) EXPECT_EQ(seen.count(id), 1u) << id;
}

TEST_F(store_fixture, DocumentsUpdatedDuringPagingAreNeverSkipped) {
  for (int i = 0; i < 100; ++i) ASSERT_EQ(create("d" + std::to_string(i), "p" + std::to_string(i % 7)).status, result_status::created);
  std::map<std::string, std::string> newest;  // id -> last "v" seen
  query_options o;
  o.max_item_count = 10;
  std::optional<std::string> token;
  int round = 0;
  do {
    if (token) o.continuation = *token;
    auto page = run("SELECT * FROM c", o);
    ASSERT_EQ(page.status, result_status::ok);
    for (const auto& d : page.documents) newest[field(*d, "/id")] = field(*d, "/v");
    token = page.continuation;
    // Update documents both behind and ahead of the cursor.
    for (int k = 0; k < 3; ++k) {
      const int i = (round * 37 + k * 11) % 100;
      ASSERT_EQ(upsert("d" + std::to_string(i), "p" + std::to_string(i % 7), R"(,"v":)" + std::to_string(round)).status, result_status::ok);
    }
    ++round;
  } while (token && round < 200);
  EXPECT_FALSE(token);
  EXPECT_EQ(newest.size(), 100u);
  // Whatever was updated before the read finished shows up in a version at least that new.
  auto final_page = run("SELECT c.id, c.v FROM c WHERE c.v >= 0", query_options{std::nullopt, std::nullopt, -1, std::nullopt});
  EXPECT_GT(final_page.documents.size(), 0u);
}

TEST_F(store_fixture, ReadFeedOfEmptyCollectionHasNoContinuation) {
  auto page = run("SELECT * FROM c");
  EXPECT_EQ(page.status, result_status::ok);
  EXPECT_TRUE(page.documents.empty());
  EXPECT_FALSE(page.continuation);
  EXPECT_EQ(page.body(), R"({"_rid":")" + page.collection_rid + R"(","Documents":[],"_count":0})");
  EXPECT_DOUBLE_EQ(page.request_charge, 2.5);
}

TEST_F(store_fixture, PageDocumentsAreTheStoredBytesAndSurviveLaterWrites) {
  auto created = create("a", "p", R"(,"n":1.0)");
  auto page = run("SELECT * FROM c");
  ASSERT_EQ(page.documents.size(), 1u);
  EXPECT_EQ(*page.documents[0], created.body);
  remove("a", "p");
  EXPECT_EQ(*page.documents[0], created.body);
  EXPECT_EQ(page.body(), R"({"_rid":")" + page.collection_rid + R"(","Documents":[)" + created.body + R"(],"_count":1})");
}

TEST_F(store_fixture, TsFilterUsesServerTime) {
  for (int i = 0; i < 10; ++i) create("old" + std::to_string(i), "p" + std::to_string(i));
  unix_seconds += 100;
  for (int i = 0; i < 5; ++i) create("new" + std::to_string(i), "p" + std::to_string(i));
  auto q = parse_query("SELECT * FROM c WHERE c._ts >= @since", R"([{"name":"@since","value":1700000100}])");
  ASSERT_TRUE(q.query);
  query_options o;
  o.max_item_count = -1;
  auto page = s->query("db", "items", *q.query, o);
  EXPECT_EQ(page.documents.size(), 5u);
  for (auto& id : ids_of(page)) EXPECT_EQ(id.rfind("new", 0), 0u);
  auto count = run("SELECT VALUE COUNT(1) FROM c WHERE c._ts < 1700000100");
  ASSERT_EQ(count.documents.size(), 1u);
  EXPECT_EQ(*count.documents[0], "10");
}

TEST_F(store_fixture, FieldFiltersProjectionsAndCount) {
  for (int i = 0; i < 20; ++i) create("d" + std::to_string(i), "p" + std::to_string(i), R"(,"n":)" + std::to_string(i));
  query_options all;
  all.max_item_count = -1;
  auto filtered = run("SELECT * FROM c WHERE c.n >= 15 AND c.n != 17", all);
  EXPECT_EQ(filtered.documents.size(), 4u);
  auto projected = run("SELECT c.id, c.n FROM c WHERE c.n = 3", all);
  ASSERT_EQ(projected.documents.size(), 1u);
  EXPECT_EQ(*projected.documents[0], R"({"id":"d3","n":3})");
  auto count = run("SELECT VALUE COUNT(1) FROM c");
  EXPECT_EQ(*count.documents.at(0), "20");
  auto count_filtered = run("SELECT VALUE COUNT(1) FROM c WHERE c.n < 5");
  EXPECT_EQ(*count_filtered.documents.at(0), "5");
}

// The RU model's read charge, written out (ru_model.hpp) so that these tests check the store's
// arithmetic rather than repeat it: 0.91 + 0.09 per KB, below 1 KB as 1 KB.
double read_ru(std::size_t bytes) { return 0.91 + 0.09 * std::max(1.0, static_cast<double>(bytes) / 1024.0); }

TEST_F(store_fixture, QueryPageChargesOneBasePlusAReadOfEachReturnedDocument) {
  const std::string padding = R"(,"pad":")" + std::string(3000, 'x') + "\"";
  for (int i = 0; i < 40; ++i) {
    ASSERT_EQ(create("d" + std::to_string(i), "p" + std::to_string(i), padding).status, result_status::created);
  }
  query_options o;
  o.max_item_count = 15;
  std::size_t documents = 0;
  int pages = 0;
  std::optional<std::string> token;
  do {
    if (token) o.continuation = *token;
    auto page = run("SELECT * FROM c", o);
    ASSERT_EQ(page.status, result_status::ok);
    double expected = 2.5;  // one base per page, whatever the number of partitions it crossed
    for (const auto& d : page.documents) expected += read_ru(d->size());
    EXPECT_NEAR(page.request_charge, expected, 1e-9) << "page " << pages << " with " << page.documents.size() << " documents";
    documents += page.documents.size();
    ++pages;
    token = page.continuation;
  } while (token && pages < 20);
  EXPECT_EQ(documents, 40u);
  EXPECT_GE(pages, 3);
}

TEST_F(store_fixture, WholeCollectionPageOfThreeKilobyteDocumentsCostsAboutOnePointTwoEach) {
  const std::string padding = R"(,"pad":")" + std::string(3000, 'x') + "\"";
  for (int i = 0; i < 10; ++i) create("d" + std::to_string(i), "p" + std::to_string(i), padding);
  query_options all;
  all.max_item_count = -1;
  auto page = run("SELECT * FROM c", all);
  ASSERT_EQ(page.documents.size(), 10u);
  // ~3.1 KB each: 0.91 + 0.09 * 3.1 = 1.19; ten of them plus the 2.5 base is ~14.4.
  EXPECT_NEAR(page.request_charge, 14.4, 0.1);
}

TEST_F(store_fixture, FilteredPageAlsoChargesTheDocumentsItScannedButDidNotReturn) {
  for (int i = 0; i < 20; ++i) create("d" + std::to_string(i), "p", R"(,"n":)" + std::to_string(i));
  query_options all;
  all.max_item_count = -1;
  auto page = run("SELECT * FROM c WHERE c.n < 5", all);
  ASSERT_EQ(page.documents.size(), 5u);
  double expected = 2.5 + 15 * 0.05;
  for (const auto& d : page.documents) expected += read_ru(d->size());
  EXPECT_NEAR(page.request_charge, expected, 1e-9);
}

TEST_F(store_fixture, ProjectionPagesChargeTheReadOfWhatTheyReturn) {
  const std::string padding = R"(,"pad":")" + std::string(8000, 'x') + "\"";
  for (int i = 0; i < 4; ++i) create("d" + std::to_string(i), "p" + std::to_string(i), padding);
  query_options all;
  all.max_item_count = -1;
  auto page = run("SELECT c.id FROM c", all);
  ASSERT_EQ(page.documents.size(), 4u);
  EXPECT_NEAR(page.request_charge, 2.5 + 4 * 1.0, 1e-9) << "small projections cost a 1 KB read each";
}

TEST_F(store_fixture, CountPageChargesTheBasePlusOneHundredthPerCountedDocument) {
  for (int i = 0; i < 300; ++i) create("d" + std::to_string(i), "p" + std::to_string(i));
  auto page = run("SELECT VALUE COUNT(1) FROM c");
  ASSERT_EQ(*page.documents.at(0), "300");
  EXPECT_NEAR(page.request_charge, 2.5 + 3.0, 1e-9);
}

TEST_F(store_fixture, RangeScopedQueriesPartitionTheDocuments) {
  for (int i = 0; i < 100; ++i) create("d" + std::to_string(i), "p" + std::to_string(i));
  std::size_t total = 0;
  for (int r = 0; r < 4; ++r) {
    query_options o;
    const std::string id = std::to_string(r);
    o.range_id = id;
    o.max_item_count = -1;
    auto page = run("SELECT * FROM c", o);
    ASSERT_EQ(page.status, result_status::ok);
    EXPECT_FALSE(page.continuation);
    EXPECT_EQ(page.range_id, id);
    total += page.documents.size();
  }
  EXPECT_EQ(total, 100u);
}

TEST_F(store_fixture, PartitionKeyScopedQueryReturnsOnlyThatLogicalPartition) {
  for (int i = 0; i < 30; ++i) create("d" + std::to_string(i), "p" + std::to_string(i % 3));
  query_options o;
  const std::string header = pk_header("p1");
  o.partition_key = header;
  o.max_item_count = -1;
  EXPECT_EQ(run("SELECT * FROM c", o).documents.size(), 10u);
}

TEST_F(store_fixture, UnknownRangeIsGone) {
  query_options o;
  o.range_id = "9";
  auto page = run("SELECT * FROM c", o);
  EXPECT_EQ(page.status, result_status::gone);
  o.range_id = "01";
  EXPECT_EQ(run("SELECT * FROM c", o).status, result_status::gone);
}

TEST_F(store_fixture, BadContinuationIsAnErrorNotARestart) {
  for (int i = 0; i < 10; ++i) create("d" + std::to_string(i), "p" + std::to_string(i));
  query_options o;
  o.max_item_count = 3;
  auto first = run("SELECT * FROM c", o);
  ASSERT_TRUE(first.continuation);
  const std::string token = *first.continuation;

  for (std::string bad : {std::string("garbage"), std::string(""), token.substr(0, token.size() - 1)}) {
    o.continuation = bad;
    EXPECT_EQ(run("SELECT * FROM c", o).status, result_status::bad_continuation) << bad;
  }
  std::string tampered = token;
  tampered[5] = tampered[5] == '1' ? '2' : '1';
  o.continuation = tampered;
  auto t = run("SELECT * FROM c", o);
  EXPECT_EQ(t.status, result_status::bad_continuation);

  o.continuation = token;  // valid token, different query
  EXPECT_EQ(run("SELECT * FROM c WHERE c._ts > 0", o).status, result_status::bad_continuation);
  o.range_id = "1";  // valid token, different scope
  EXPECT_EQ(run("SELECT * FROM c", o).status, result_status::bad_continuation);
  o.range_id.reset();
  EXPECT_EQ(run("SELECT * FROM c", o).status, result_status::ok);
}

TEST_F(store_fixture, PagesStopAtFourMegabytes) {
  const std::string filler(200 * 1024, 'x');
  for (int i = 0; i < 30; ++i) {
    ASSERT_EQ(create("d" + std::to_string(i), "p", R"(,"f":")" + filler + "\"").status, result_status::created);
  }
  query_options o;
  o.max_item_count = -1;
  auto page = run("SELECT * FROM c", o);
  EXPECT_LT(page.documents.size(), 30u);
  EXPECT_GE(page.documents.size(), 15u);
  EXPECT_LE(page.body().size(), 4u << 20);
  EXPECT_TRUE(page.continuation);
}

TEST_F(store_fixture, ThrottledQueryPageReadsNothing) {
  open(400, 1);
  bool throttled = false;
  for (int i = 0; i < 200 && !throttled; ++i) throttled = create("d" + std::to_string(i), "p").status == result_status::throttled;
  ASSERT_TRUE(throttled);
  auto page = run("SELECT * FROM c");
  EXPECT_EQ(page.status, result_status::throttled);
  EXPECT_TRUE(page.documents.empty());
  EXPECT_GT(page.retry_after, 0ms);
}

}  // namespace
}  // namespace idabus::emulator
