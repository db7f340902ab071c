// importTool --compare against a real cosmos-emulator (4 partitions, 10,000 RU/s), run in-process through
// import_tool_main with stdout captured.

#include "tests/tools/importTool/run_tool.hpp"
#include "tools/importTool/commands.hpp"

#include "integration/emulator_fixture.hpp"
#include "io/files/restore_plan.hpp"
#include "support/child_process.hpp"
#include "support/run_coro.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

namespace idabus::import_tool {
namespace {

namespace fs = std::filesystem;
namespace net = boost::asio;
namespace it = idabus::test::integration;
using idabus::test::run_coro;
using test::run_in_process;
using test::array_of;
using idabus::test::write_file;

const std::string compare_db = "comparedb";



std::string person(int i, int version = 1) {
  return R"({"id":"p)" + std::to_string(i) + R"(","objecttype":"Person","name":"n)" + std::to_string(i) +
         R"(","version":)" + std::to_string(version) + R"(,"tags":["a","b"]})";
}

class CompareAgainstEmulator : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { emu_ = new it::emulator({"--partitions", "4", "--ru-per-second", "10000"}); }
  static void TearDownTestSuite() {
    delete emu_;
    emu_ = nullptr;
  }

  // A fresh collection (partition key /objecttype) holding `docs`, written with upserts.
  std::string collection_with(const std::vector<std::string>& docs) {
    const std::string name = "c" + std::to_string(next_++);
    run_coro(
        [&](net::io_context& ctx) -> net::awaitable<void> {
          it::session s(ctx, emu_->connection());
          co_await s.client.create_database_if_missing(compare_db);
          co_await s.client.create_collection_if_missing(compare_db, name, "/objecttype");
          for (const auto& d : docs) {
            io::json::document_reader reader("/objecttype");
            const auto f = reader.read(d);
            std::vector<io::cosmos::pk_component> key{io::cosmos::pk_component(std::get<std::string>(*f.partition_key))};
            co_await s.client.upsert_document(compare_db, name, d, std::move(key));
          }
        },
        std::chrono::seconds(60));
    return name;
  }

  test::tool_result compare(const fs::path& restore, const std::string& collection, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--compare", restore.string(), emu_->connection(), compare_db, collection, "objecttype"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_in_process(args);
  }

  idabus::test::temp_dir dir;
  static it::emulator* emu_;
  static int next_;
};

it::emulator* CompareAgainstEmulator::emu_ = nullptr;
int CompareAgainstEmulator::next_ = 0;

TEST_F(CompareAgainstEmulator, ACollectionHoldingExactlyTheRestoreFilesIsEqualAndExitsZero) {
  std::vector<std::string> docs;
  for (int i = 0; i < 300; ++i) docs.push_back(person(i));
  docs.push_back(R"({"id":"g1","objecttype":"Group","members":[{"id":"p1"}],"n":1.5})");
  const auto coll = collection_with(docs);
  write_file(dir.path / "restore.json", array_of(docs));
  const auto r = compare(dir.path / "restore.json", coll);
  EXPECT_EQ(r.code, exit_success) << r.out << r.err;
  EXPECT_NE(r.out.find("equal 301, missing 0, extra 0, different 0\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("from 4 partition key range(s)"), std::string::npos) << r.out;
  // The budget is what the collection can take: its offer, split over its ranges.
  EXPECT_NE(r.out.find("(budget: 10000 RU/s provisioned)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("result: equal"), std::string::npos) << r.out;
}

TEST_F(CompareAgainstEmulator, OneMissingOneExtraOneDifferentAreCountedNamedAndExitOne) {
  const auto coll = collection_with({person(1), person(2, 7), person(4)});
  write_file(dir.path / "restore.json", array_of({person(1), person(2), person(3)}));
  const auto r = compare(dir.path / "restore.json", coll);
  EXPECT_EQ(r.code, exit_failed) << r.out << r.err;
  EXPECT_NE(r.out.find("equal 1, missing 1, extra 1, different 1\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(R"(  missing: pk "Person" id "p3")"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(R"(  extra: pk "Person" id "p4")"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(R"(  different: pk "Person" id "p2")"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("result: DIFFERENT"), std::string::npos) << r.out;
}

TEST_F(CompareAgainstEmulator, DocumentsThatDifferOnlyInSystemPropertiesAreEqual) {
  const auto coll = collection_with({person(1), person(2)});
  // As a backup would have them: the source's system properties, other values than the target's.
  write_file(dir.path / "restore.json",
             array_of({R"({"_rid":"AAAA","objecttype":"Person","id":"p1","_ts":1,"_etag":"\"0\"",)"
                       R"("tags":["a","b"],"version":1.0,"name":"n1","_lsn":12,"_self":"dbs/x/","_attachments":"attachments/"})",
                       R"({"id":"p2","objecttype":"Person","name":"n2","version":1,"tags":["a","b"],"_ts":1700000000})"}));
  const auto r = compare(dir.path / "restore.json", coll);
  EXPECT_EQ(r.code, exit_success) << r.out << r.err;
  EXPECT_NE(r.out.find("equal 2, missing 0, extra 0, different 0\n"), std::string::npos) << r.out;
}

TEST_F(CompareAgainstEmulator, AFolderIsReadInSequenceOrderAndTheNewestVersionIsExpected) {
  const auto coll = collection_with({person(1, 2), person(2, 1)});
  write_file(dir.path / (coll + ".000001.json"), array_of({person(1, 1), person(2, 1)}));
  write_file(dir.path / (coll + ".000002.json"), array_of({person(1, 2)}));
  write_file(dir.path / "Other.000003.json", array_of({person(9)}));  // another collection's file
  const auto r = compare(dir.path, coll, {"--parallelism", "2", "--ru-budget", "5000"});
  EXPECT_EQ(r.code, exit_success) << r.out << r.err;
  EXPECT_NE(r.out.find("with 2 restore file(s): 3 documents, 2 distinct keys"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("capped at 5000 RU/s"), std::string::npos) << r.out;
}

TEST_F(CompareAgainstEmulator, ACollectionTheRestorePlanListsWithoutFilesEqualsAnEmptyCollection) {
  const auto coll = collection_with({});
  io::files::plan_collection c;
  c.name = coll;
  io::files::restore_plan plan;
  plan.collections.push_back(c);
  io::files::write_restore_plan(dir.path, plan);
  const auto r = compare(dir.path, coll);
  EXPECT_EQ(r.code, exit_success) << r.out << r.err;
  const auto other = collection_with({person(1)});
  plan.collections[0].name = other;
  io::files::write_restore_plan(dir.path, plan);
  EXPECT_EQ(compare(dir.path, other).code, exit_failed);  // one extra document
}

TEST_F(CompareAgainstEmulator, AMissingCollectionIsAOneLineErrorWithExitOne) {
  write_file(dir.path / "restore.json", array_of({person(1)}));
  const auto r = compare(dir.path / "restore.json", "nosuchcollection");
  EXPECT_EQ(r.code, exit_failed) << r.out << r.err;
  EXPECT_EQ(r.err.rfind("importTool: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(CompareInterrupted, SigintWhileReadingTheCollectionExits130) {
  // Every request takes 3 s, so the signal arrives while the first one is in flight.
  it::emulator slow({"--latency-ms", "3000"});
  idabus::test::temp_dir dir;
  write_file(dir.path / "restore.json", array_of({person(1)}));
  idabus::test::child_process tool({idabus::test::program_path("importTool"), "--compare", (dir.path / "restore.json").string(),
                            slow.connection(), compare_db, "c", "/objecttype"});
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // past loading the restore file
  ::kill(tool.pid(), SIGINT);
  const int status = tool.wait();
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), exit_interrupted);
}

TEST(CompareCommandLine, WrongArgumentsExitTwoAndAMissingRestorePathExitsOne) {
  EXPECT_EQ(run_in_process({"--compare", "a", "b"}).code, exit_usage);
  EXPECT_EQ(run_in_process({"--compare", "x.json", "not a connection string", "db", "c", "/pk"}).code, exit_usage);
  const auto r = run_in_process({"--compare", "/nonexistent/x.json",
                           "AccountEndpoint=http://127.0.0.1:1/;AccountKey=" + it::emulator_key + ";", "db", "c", "/pk"});
  EXPECT_EQ(r.code, exit_failed);
  EXPECT_NE(r.err.find("/nonexistent/x.json"), std::string::npos) << r.err;
}

TEST(CompareCommandLine, AFolderWithoutAFileItsRestorePlanListsIsAnErrorNamingIt) {
  idabus::test::temp_dir dir;
  io::files::plan_collection c;
  c.name = "Resources";
  c.files = {{"Resources.000001.json", 1, 0, std::string(64, 'a')}, {"Resources.000002.json", 1, 0, std::string(64, 'b')}};
  io::files::restore_plan plan;
  plan.collections.push_back(c);
  io::files::write_restore_plan(dir.path, plan);
  write_file(dir.path / "Resources.000002.json", array_of({person(2)}));
  c.files[1].bytes = fs::file_size(dir.path / "Resources.000002.json");
  plan.collections = {c};
  io::files::write_restore_plan(dir.path, plan);
  const auto r = run_in_process({"--compare", dir.path.string(),
                           "AccountEndpoint=http://127.0.0.1:1/;AccountKey=" + it::emulator_key + ";", "db", "Resources",
                           "/objecttype"});
  EXPECT_EQ(r.code, exit_failed) << r.out << r.err;
  EXPECT_NE(r.err.find("Resources.000001.json, listed in"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

}  // namespace
}  // namespace idabus::import_tool
