#include "tools/cosmos-emulator/persistence.hpp"

#include "tools/cosmos-emulator/store.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>
#include <random>
#include <vector>

namespace idabus::emulator {
namespace {

namespace fs = std::filesystem;

struct temp_dir {
  fs::path path;
  temp_dir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("emucore-persist-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

using record = std::pair<std::uint8_t, std::vector<std::string>>;

std::vector<record> load_all(durable_log& log, durable_log::load_result* result = nullptr) {
  std::vector<record> out;
  auto r = log.load([&](std::uint8_t type, std::span<const std::string_view> f) {
    out.emplace_back(type, std::vector<std::string>(f.begin(), f.end()));
  });
  if (result) *result = r;
  return out;
}

TEST(Crc32, MatchesTheStandardCheckValue) { EXPECT_EQ(crc32("123456789"), 0xCBF43926u); }

TEST(DurableLog, ReplaysFlushedRecordsInOrder) {
  temp_dir dir;
  {
    durable_log log(dir.path);
    EXPECT_TRUE(load_all(log).empty());
    log.append(1, {"a", "", std::string_view("b\0c", 3)});
    log.append(2, {});
    log.flush();
  }
  durable_log log(dir.path);
  auto records = load_all(log);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].first, 1);
  EXPECT_EQ(records[0].second, (std::vector<std::string>{"a", "", std::string("b\0c", 3)}));
  EXPECT_EQ(records[1].first, 2);
  EXPECT_TRUE(records[1].second.empty());
}

TEST(DurableLog, TornTailIsDroppedAndTheIntactPrefixLoads) {
  temp_dir dir;
  {
    durable_log log(dir.path);
    load_all(log);
    for (int i = 0; i < 10; ++i) log.append(7, {std::to_string(i)});
    log.flush();
  }
  const auto file = dir.path / "emulator.log";
  const auto full = fs::file_size(file);
  fs::resize_file(file, full - 3);  // cut into the last record
  durable_log::load_result result;
  {
    durable_log log(dir.path);
    auto records = load_all(log, &result);
    ASSERT_EQ(records.size(), 9u);
    EXPECT_EQ(records.back().second[0], "8");
    EXPECT_GT(result.dropped_bytes, 0u);
    log.append(7, {"after"});
    log.flush();
  }
  durable_log log(dir.path);
  auto records = load_all(log, &result);
  ASSERT_EQ(records.size(), 10u);
  EXPECT_EQ(records.back().second[0], "after");
  EXPECT_EQ(result.dropped_bytes, 0u);
}

TEST(DurableLog, CorruptRecordEndsReplayThere) {
  temp_dir dir;
  {
    durable_log log(dir.path);
    load_all(log);
    for (int i = 0; i < 5; ++i) log.append(7, {"record-" + std::to_string(i)});
    log.flush();
  }
  const auto file = dir.path / "emulator.log";
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  const std::streamoff record_size = static_cast<std::streamoff>(fs::file_size(file) / 5);
  f.seekp(2 * record_size + 12);  // inside the third record's payload
  f.put('#');
  f.close();
  durable_log log(dir.path);
  auto records = load_all(log);
  EXPECT_EQ(records.size(), 2u);
}

TEST(DurableLog, RewriteReplacesTheLog) {
  temp_dir dir;
  durable_log log(dir.path);
  load_all(log);
  for (int i = 0; i < 100; ++i) log.append(1, {"old"});
  log.flush();
  const auto before = log.size_bytes();
  log.rewrite([](const durable_log::emit_fn& emit) { emit(2, {"new"}); });
  EXPECT_LT(log.size_bytes(), before);
  log.append(3, {"later"});
  log.flush();
  durable_log again(dir.path);
  auto records = load_all(again);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].first, 2);
  EXPECT_EQ(records[1].first, 3);
  EXPECT_FALSE(fs::exists(dir.path / "emulator.log.tmp"));
}

TEST(DurableLog, ConcurrentFlushersLoseNothing) {
  temp_dir dir;
  {
    durable_log log(dir.path);
    load_all(log);
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t) {
      threads.emplace_back([&log, t] {
        for (int i = 0; i < 200; ++i) {
          log.append(1, {std::to_string(t), std::to_string(i)});
          if (i % 10 == 9) log.flush();
        }
      });
    }
    for (auto& th : threads) th.join();
  }
  durable_log log(dir.path);
  auto records = load_all(log);
  EXPECT_EQ(records.size(), 600u);
  std::map<std::string, int> next;  // per writer, records stay in append order
  for (const auto& r : records) EXPECT_EQ(std::to_string(next[r.second[0]]++), r.second[1]);
}

// ---- the store on top of the log ----

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
  static void create_schema(store& s, double throughput = 0) {
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
      s.flush();
    }
    grown = fs::file_size(dir.path / "emulator.log");
  }
  store s(options());
  EXPECT_EQ(s.stats().documents, 50u);
  auto d = read(s, "d7", "p");
  ASSERT_EQ(d.status, result_status::ok);
  EXPECT_NE(d.body.find("\"round\":4"), std::string::npos) << d.body;
  // Compaction at runtime kept the log below 2x the live data (plus metadata).
  EXPECT_LT(grown, 3 * s.stats().document_bytes + 16 * 1024);
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
