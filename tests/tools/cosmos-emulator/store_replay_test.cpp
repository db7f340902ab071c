// Tests of store_replay.cpp: what the store writes to its log survives a restart.
#include "support/temp_dir.hpp"
#include "tools/cosmos-emulator/persistence.hpp"
#include "tools/cosmos-emulator/store.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <vector>

namespace idabus::emulator {
namespace {

namespace fs = std::filesystem;
using test::temp_dir;

struct persistent_store : ::testing::Test {
  temp_dir dir;
  store_options options(std::uint64_t compaction_min = 64ull << 20) {
    store_options o;
    o.data_dir = dir.path.string();
    o.compaction_min_bytes = compaction_min;
    return o;
  }
  static op_result upsert(store& s, std::string id, std::string pk, std::string extra = {}) {
    const std::string body = R"({"id":")" + id + R"(","pk":")" + pk + "\"" + extra + "}";
    const std::string header = "[\"" + pk + "\"]";
    document_request r;
    r.op = document_op::upsert;
    r.body = body;
    r.partition_key = header;
    return s.execute("db", "items", r);
  }
  static op_result read(store& s, std::string id, std::string pk) {
    const std::string header = "[\"" + pk + "\"]";
    document_request r;
    r.op = document_op::read;
    r.id = id;
    r.partition_key = header;
    return s.execute("db", "items", r);
  }
  static void create_schema(store& s, std::optional<double> throughput = std::nullopt) {
    ASSERT_EQ(s.create_database(R"({"id":"db"})").status, result_status::created);
    ASSERT_EQ(s.create_collection("db", R"({"id":"items","partitionKey":{"paths":["/pk"]}})", throughput).status,
              result_status::created);
  }
};

TEST_F(persistent_store, EverythingWrittenIsThereAfterReopen) {
  std::string body_a, etag_a, coll_body;
  {
    store s(options());
    create_schema(s, 1000);
    auto a = upsert(s, "a", "p1", R"(,"n":1.50)");
    body_a = a.body;
    etag_a = a.etag;
    upsert(s, "b", "p2");
    upsert(s, "c", "p3");
    document_request del;
    del.op = document_op::remove;
    del.id = "b";
    const std::string header = R"(["p2"])";
    del.partition_key = header;
    ASSERT_EQ(s.execute("db", "items", del).status, result_status::no_content);
    coll_body = s.read_collection("db", "items").body;
    s.flush();
  }
  store s(options());
  auto a = read(s, "a", "p1");
  ASSERT_EQ(a.status, result_status::ok);
  EXPECT_EQ(a.body, body_a);
  EXPECT_EQ(a.etag, etag_a);
  EXPECT_EQ(read(s, "b", "p2").status, result_status::not_found);
  EXPECT_EQ(read(s, "c", "p3").status, result_status::ok);
  EXPECT_EQ(s.read_collection("db", "items").body, coll_body);
  EXPECT_NE(s.list_offers().body.find("\"offerThroughput\":1000"), std::string::npos);
  EXPECT_EQ(s.stats().documents, 2u);
  // New writes after a restart get fresh etags and keep working.
  auto again = upsert(s, "a", "p1");
  EXPECT_EQ(again.status, result_status::ok);
  EXPECT_NE(again.etag, etag_a);
}

TEST_F(persistent_store, ContinuationTokensSurviveARestart) {
  std::optional<std::string> token;
  std::set<std::string> seen;
  auto ids_into = [&](const query_page& p) {
    for (const auto& d : p.documents) {
      const auto at = d->find("\"id\":\"") + 6;
      seen.insert(d->substr(at, d->find('"', at) - at));
    }
  };
  {
    store s(options());
    create_schema(s);
    for (int i = 0; i < 40; ++i) ASSERT_TRUE(upsert(s, "d" + std::to_string(i), "p" + std::to_string(i)).succeeded());
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(upsert(s, "d" + std::to_string(i), "p" + std::to_string(i), R"(,"v":2)").succeeded());
    query_options o;
    o.max_item_count = 15;
    auto page = s.query("db", "items", select_all_query(), o);
    ids_into(page);
    token = page.continuation;
    ASSERT_TRUE(token);
  }
  store s(options());
  query_options o;
  o.max_item_count = 15;
  std::size_t pages = 1;
  while (token) {
    o.continuation = *token;
    auto page = s.query("db", "items", select_all_query(), o);
    ASSERT_EQ(page.status, result_status::ok) << page.message;
    ids_into(page);
    token = page.continuation;
    ASSERT_LT(++pages, 20u);
  }
  EXPECT_EQ(seen.size(), 40u);
}

TEST_F(persistent_store, DeletedCollectionRidIsNotReusedAfterRestart) {
  std::string old_rid;
  {
    store s(options());
    create_schema(s);
    ASSERT_EQ(s.create_collection("db", R"({"id":"second","partitionKey":{"paths":["/pk"]}})", std::nullopt).status,
              result_status::created);
    const auto body = s.read_collection("db", "second").body;
    old_rid = body.substr(body.find("\"_rid\":\"") + 8, 12);
    ASSERT_EQ(s.delete_collection("db", "second").status, result_status::no_content);
  }
  store s(options());
  auto again = s.create_collection("db", R"({"id":"second","partitionKey":{"paths":["/pk"]}})", std::nullopt);
  ASSERT_EQ(again.status, result_status::created);
  EXPECT_EQ(again.body.find(old_rid), std::string::npos) << old_rid;
}

TEST_F(persistent_store, TruncatedLogLoadsTheIntactPrefix) {
  {
    store s(options());
    create_schema(s);
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(upsert(s, "d" + std::to_string(i), "p").succeeded());
      s.flush();
    }
  }
  const auto file = dir.path / "emulator.log";
  fs::resize_file(file, fs::file_size(file) - 10);
  store s(options());
  EXPECT_EQ(s.stats().documents, 9u);
  EXPECT_EQ(read(s, "d8", "p").status, result_status::ok);
  EXPECT_EQ(read(s, "d9", "p").status, result_status::not_found);
}

TEST_F(persistent_store, CompactionShrinksTheLogAndKeepsState) {
  std::uint64_t grown = 0;
  {
    store s(options(1));  // compact whenever the log exceeds 2x the live data
    create_schema(s);
    for (int round = 0; round < 5; ++round) {
      for (int i = 0; i < 50; ++i) {
        ASSERT_TRUE(upsert(s, "d" + std::to_string(i), "p", R"(,"round":)" + std::to_string(round)).succeeded());
      }
      s.flush();  // a sync: the log's compaction thread compacts when the owner says it is due
    }
  }  // closing lets a compaction in progress or asked for finish
  grown = fs::file_size(dir.path / "emulator.log");
  store s(options());
  EXPECT_EQ(s.stats().documents, 50u);
  auto d = read(s, "d7", "p");
  ASSERT_EQ(d.status, result_status::ok);
  EXPECT_NE(d.body.find("\"round\":4"), std::string::npos) << d.body;
  // Compaction at runtime kept the log below 2x the live data (plus metadata).
  EXPECT_LT(grown, 3 * s.stats().document_bytes + 16 * 1024);
}

TEST_F(persistent_store, DamagedLogStopsTheStoreAndIsNotRewritten) {
  {
    store s(options());
    create_schema(s);
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(upsert(s, "d" + std::to_string(i), "p").succeeded());
  }
  const auto file = dir.path / "emulator.log";
  std::string bytes;
  {
    std::ifstream in(file, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const auto at = bytes.find(R"("id":"d10")");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 2] = 'I';
  std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
  try {
    store s(options());
    ADD_FAILURE() << "a damaged log opened";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(file.string() + " is damaged at byte offset "), std::string::npos) << e.what();
  }
  std::ifstream in(file, std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), bytes);
}

TEST_F(persistent_store, UnwritableDataDirThrowsNamingThePath) {
  const auto blocker = dir.path / "file";
  std::ofstream(blocker) << "x";
  store_options o;
  o.data_dir = (blocker / "sub").string();
  try {
    store s(o);
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(o.data_dir), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace idabus::emulator
