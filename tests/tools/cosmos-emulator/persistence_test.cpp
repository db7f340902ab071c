#include "tools/cosmos-emulator/persistence.hpp"

#include "support/temp_dir.hpp"

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
using test::temp_dir;

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

}  // namespace
}  // namespace idabus::emulator
