#include "tools/cosmos-emulator/persistence.hpp"

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>
#include <atomic>
#include <future>
#include <iterator>
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

// Writes `n` records of equal size ("record-0" ... ) and returns the size of one.
std::uint64_t write_records(const fs::path& dir, int n) {
  durable_log log(dir);
  load_all(log);
  for (int i = 0; i < n; ++i) log.append(7, {"record-" + std::to_string(i % 10)});
  log.flush();
  return fs::file_size(dir / "emulator.log") / static_cast<std::uint64_t>(n);
}

std::string file_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void flip_byte(const fs::path& file, std::uint64_t offset) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  const char c = static_cast<char>(f.get());
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(static_cast<char>(c ^ 0x20));
}

// The error names the file and the offset, and the file is byte for byte what it was.
void expect_damage_at(const fs::path& dir, std::uint64_t offset) {
  const auto file = dir / "emulator.log";
  const auto before = file_bytes(file);
  durable_log log(dir);
  try {
    load_all(log);
    ADD_FAILURE() << "a damaged log loaded";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(file.string()), std::string::npos) << what;
    EXPECT_NE(what.find("offset " + std::to_string(offset) + " "), std::string::npos) << what;
  }
  EXPECT_EQ(file_bytes(file), before);
}

TEST(DurableLog, TornTailIsCutOffReportedAndTheIntactPrefixLoads) {
  temp_dir dir;
  const auto record_size = write_records(dir.path, 10);
  const auto file = dir.path / "emulator.log";
  fs::resize_file(file, fs::file_size(file) - 3);  // cut into the last record
  durable_log::load_result result;
  {
    durable_log log(dir.path);
    auto records = load_all(log, &result);
    ASSERT_EQ(records.size(), 9u);
    EXPECT_EQ(records.back().second[0], "record-8");
    EXPECT_EQ(result.torn_tail_offset, 9 * record_size);
    EXPECT_EQ(result.torn_tail_bytes, record_size - 3);
    log.append(7, {"after"});
    log.flush();
  }
  durable_log log(dir.path);
  auto records = load_all(log, &result);
  ASSERT_EQ(records.size(), 10u);
  EXPECT_EQ(records.back().second[0], "after");
  EXPECT_EQ(result.torn_tail_bytes, 0u);
}

TEST(DurableLog, ShortHeaderAtTheEndIsATornTail) {
  temp_dir dir;
  const auto record_size = write_records(dir.path, 4);
  fs::resize_file(dir.path / "emulator.log", 3 * record_size + 5);
  durable_log log(dir.path);
  durable_log::load_result result;
  EXPECT_EQ(load_all(log, &result).size(), 3u);
  EXPECT_EQ(result.torn_tail_bytes, 5u);
}

TEST(DurableLog, CrcMismatchInTheMiddleStopsTheLoadNamingFileAndOffset) {
  temp_dir dir;
  const auto record_size = write_records(dir.path, 5);
  flip_byte(dir.path / "emulator.log", 2 * record_size + 12);  // inside the third record's payload
  expect_damage_at(dir.path, 2 * record_size);
}

TEST(DurableLog, CorruptFirstRecordStopsTheLoad) {
  temp_dir dir;
  write_records(dir.path, 5);
  flip_byte(dir.path / "emulator.log", 4);  // the first record's CRC
  expect_damage_at(dir.path, 0);
}

TEST(DurableLog, CorruptLastCompleteRecordIsDamageNotATornTail) {
  temp_dir dir;
  const auto record_size = write_records(dir.path, 5);
  flip_byte(dir.path / "emulator.log", 5 * record_size - 1);
  expect_damage_at(dir.path, 4 * record_size);
}

TEST(DurableLog, ImpossibleRecordLengthIsDamage) {
  temp_dir dir;
  const auto record_size = write_records(dir.path, 5);
  flip_byte(dir.path / "emulator.log", record_size + 3);  // high byte of the second length
  expect_damage_at(dir.path, record_size);
}

TEST(DurableLog, WhenDurableAnswersOnceTheRecordsAreInTheFile) {
  temp_dir dir;
  durable_log log(dir.path);
  load_all(log);
  log.start({});
  const auto file = dir.path / "emulator.log";
  std::promise<std::uint64_t> size_when_answered;
  log.append(7, {"one"});
  log.append(7, {"two"});
  log.when_durable([&](std::exception_ptr e) {
    EXPECT_FALSE(e);
    size_when_answered.set_value(fs::file_size(file));
  });
  EXPECT_EQ(size_when_answered.get_future().get(), log.size_bytes());
  EXPECT_GT(log.size_bytes(), 0u);
  // Nothing pending: answered at once, on this thread.
  bool answered = false;
  log.when_durable([&](std::exception_ptr) { answered = true; });
  EXPECT_TRUE(answered);
}

TEST(DurableLog, ConcurrentWaitersAreAllAnsweredAndNothingIsLost) {
  temp_dir dir;
  {
    durable_log log(dir.path);
    load_all(log);
    log.start({});
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&log, t] {
        for (int i = 0; i < 100; ++i) {
          log.append(1, {std::to_string(t), std::to_string(i)});
          std::promise<void> done;
          log.when_durable([&](std::exception_ptr) { done.set_value(); });
          done.get_future().wait();
        }
      });
    }
    for (auto& th : threads) th.join();
  }
  durable_log log(dir.path);
  auto records = load_all(log);
  EXPECT_EQ(records.size(), 400u);
  std::map<std::string, int> next;
  for (const auto& r : records) EXPECT_EQ(std::to_string(next[r.second[0]]++), r.second[1]);
}

// The snapshot reflects the log up to its mark; what was appended after the mark survives.
TEST(DurableLog, CompactionKeepsTheRecordsAppendedAfterTheMark) {
  temp_dir dir;
  {
    durable_log log(dir.path);
    load_all(log);
    for (int i = 0; i < 50; ++i) log.append(1, {"superseded"});
    log.flush();
    const auto mark = log.mark();
    log.append(3, {"after-mark-1"});
    log.flush();
    log.append(3, {"after-mark-2"});  // still buffered when the compaction finishes
    log.compact({mark, [](const durable_log::emit_fn& emit) { emit(2, {"snapshot"}); }});
    log.append(3, {"after-compaction"});
    log.flush();
  }
  durable_log log(dir.path);
  auto records = load_all(log);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].second[0], "snapshot");
  EXPECT_EQ(records[1].second[0], "after-mark-1");
  EXPECT_EQ(records[2].second[0], "after-mark-2");
  EXPECT_EQ(records[3].second[0], "after-compaction");
}

TEST(DurableLog, CompactionRunsOnItsOwnThreadWhenTheOwnerSaysItIsDue) {
  temp_dir dir;
  std::promise<std::thread::id> snapshot_thread;
  std::atomic<bool> asked{false};
  {
    durable_log log(dir.path);
    load_all(log);
    durable_log::background_hooks hooks;
    hooks.compaction_due = [&](std::uint64_t bytes) { return bytes > 0 && !asked.exchange(true); };
    hooks.take_snapshot = [&] {
      snapshot_thread.set_value(std::this_thread::get_id());
      return durable_log::snapshot{log.mark(), [](const durable_log::emit_fn& emit) { emit(2, {"snapshot"}); }};
    };
    log.start(hooks);
    for (int i = 0; i < 20; ++i) log.append(1, {"old"});
    std::promise<void> durable;
    log.when_durable([&](std::exception_ptr) { durable.set_value(); });
    durable.get_future().wait();
    EXPECT_NE(snapshot_thread.get_future().get(), std::this_thread::get_id());
    log.stop();  // lets the compaction finish
    log.append(3, {"later"});
    log.flush();
  }
  durable_log log(dir.path);
  auto records = load_all(log);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].second[0], "snapshot");
  EXPECT_EQ(records[1].second[0], "later");
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
