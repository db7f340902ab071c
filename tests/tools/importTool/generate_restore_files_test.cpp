// importTool --generateRestoreFiles over backup sets written with io/files (backup_set_builder),
// in-process through import_tool_main, plus the built program as a process.

#include "tools/importTool/commands.hpp"

#include "io/files/restore_file.hpp"
#include "io/files/restore_plan.hpp"
#include "support/backup_chain.hpp"
#include "support/child_process.hpp"
#include "support/temp_dir.hpp"
#include "tests/tools/importTool/run_tool.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace idabus::import_tool {
namespace {

namespace fs = std::filesystem;
namespace files = io::files;
using files::backup_type;
using files::chunk_phase;
using idabus::test::resource;
using idabus::test::resources;
using idabus::test::restored;
using test::run_in_process;

constexpr std::int64_t t0 = idabus::test::backup_chain::first_basis_ts;  // 2026-11-30T01:00:00Z

std::string event(const std::string& id, std::int64_t ts) {
  return R"({"id":")" + id + R"(","eventType":"Request","_rid":"x","_self":"s","_etag":"\"e\"","_attachments":"a/","_ts":)" +
         std::to_string(ts) + "}";
}
std::string event_restored(const std::string& id, std::int64_t ts) {
  return R"({"id":")" + id + R"(","eventType":"Request","_ts":)" + std::to_string(ts) + "}";
}

// Events (partitioned by /id) holding `chunks`.
idabus::test::collection_spec events(std::vector<idabus::test::chunk_spec> chunks) {
  idabus::test::collection_spec e;
  e.name = "Events";
  e.partition_key_path = "/id";
  e.chunks = std::move(chunks);
  return e;
}

// Full backup F (completed 01:10) and incremental I (completed 02:05) of Resources and Events.
struct backups {
  idabus::test::temp_dir dir;
  fs::path folder = dir.path / "backups";
  idabus::test::backup_chain chain{folder};
  fs::path full = chain.full(
      "full",
      {resources({{chunk_phase::basis, {resource("a", t0 - 300), resource("b", t0 - 200), resource("c", t0 - 100)}},
                  {chunk_phase::delta, {resource("b", t0 + 60, "2")}}}),
       events({{chunk_phase::basis, {event("e1", t0 - 50), event("e2", t0 - 40)}}})});
  fs::path incremental = chain.incremental(
      "incr", {resources({{chunk_phase::basis, {resource("a", t0 + 3000, "3"), resource("n", t0 + 3100)}}},
                         std::vector<files::tombstone>{idabus::test::deleted("c", "2026-11-30T01:30:00Z")}),
               events({{chunk_phase::basis, {event("e3", t0 + 3200)}}})});
};

std::vector<std::string> documents_in(const fs::path& out, const std::string& collection) {
  std::vector<std::string> docs;
  for (const auto& file : files::list_restore_files(out, collection)) {
    files::restore_file_reader reader(file);
    while (auto d = reader.next()) docs.emplace_back(*d);
  }
  return docs;
}

test::tool_result generate(const backups& b, const fs::path& out, const std::string& types, const std::string& until) {
  return run_in_process({"--generateRestoreFiles", b.folder.string(), out.string(), types, until});
}

TEST(GenerateRestoreFiles, MergesTheChainIntoRestoreFilesAndAPlan) {
  backups b;
  const auto out = b.dir.path / "out";
  const auto r = generate(b, out, "Resources,Events", "2026-11-30T02:10:00");
  ASSERT_EQ(r.code, exit_success) << r.err;
  EXPECT_EQ(documents_in(out, "Resources"), (std::vector<std::string>{restored("b", t0 + 60, "2"),
                                                                      restored("a", t0 + 3000, "3"),
                                                                      restored("n", t0 + 3100)}));
  EXPECT_EQ(documents_in(out, "Events"), (std::vector<std::string>{event_restored("e1", t0 - 50),
                                                                   event_restored("e2", t0 - 40),
                                                                   event_restored("e3", t0 + 3200)}));
  const auto plan = files::read_restore_plan(out);
  EXPECT_EQ(plan.until, idabus::test::utc("2026-11-30T02:10:00Z"));
  ASSERT_EQ(plan.collections.size(), 2u);
  const auto& res = plan.collections[0];
  EXPECT_EQ(res.name, "Resources");
  EXPECT_EQ(res.partition_key_path, "/objecttype");
  EXPECT_EQ(res.documents, 3u);
  EXPECT_EQ(res.deletes_applied, 1u);
  ASSERT_EQ(res.source_backups.size(), 2u);
  EXPECT_EQ(res.source_backups[0].folder, b.full.filename().string());
  EXPECT_EQ(res.source_backups[0].type, backup_type::full);
  EXPECT_EQ(res.source_backups[1].backup_id, "incr");
  ASSERT_EQ(res.files.size(), 1u);
  const auto bytes = files::read_file(out / res.files[0].file);
  EXPECT_EQ(res.files[0].sha256, files::sha256_hex(bytes));
  EXPECT_EQ(res.files[0].bytes, bytes.size());
  EXPECT_EQ(plan.collections[1].partition_key_path, "/id");
  EXPECT_NE(r.out.find("Resources: 3 documents in 1 restore files"), std::string::npos) << r.out;
}

TEST(GenerateRestoreFiles, TBeforeTheIncrementalUsesTheFullBackupAlone) {
  backups b;
  const auto out = b.dir.path / "out";
  ASSERT_EQ(generate(b, out, "Resources", "2026-11-30T01:30:00Z").code, exit_success);
  EXPECT_EQ(documents_in(out, "Resources"), (std::vector<std::string>{restored("a", t0 - 300), restored("c", t0 - 100),
                                                                      restored("b", t0 + 60, "2")}));
  EXPECT_EQ(files::read_restore_plan(out).collections.at(0).source_backups.size(), 1u);
  EXPECT_TRUE(files::list_restore_files(out, "Events").empty());
}

TEST(GenerateRestoreFiles, TheSameInputGivesTheSameBytes) {
  backups b;
  ASSERT_EQ(generate(b, b.dir.path / "one", "Resources,Events", "2026-11-30T03:00:00Z").code, exit_success);
  ASSERT_EQ(run_in_process({"--generateRestoreFiles", b.folder.string(), (b.dir.path / "two").string(),
                            "Resources,Events", "2026-11-30T03:00:00Z", "--parallelism", "1"})
                .code,
            exit_success);
  for (auto name : {"Resources.000001.json", "Events.000001.json", "restore-plan.json"}) {
    EXPECT_EQ(files::read_file(b.dir.path / "one" / name), files::read_file(b.dir.path / "two" / name)) << name;
  }
}

TEST(GenerateRestoreFiles, NoFullBackupBeforeTIsAnErrorNamingCollectionAndTAndWritesNothing) {
  backups b;
  const auto out = b.dir.path / "out";
  const auto r = generate(b, out, "Resources", "2026-11-30T01:05:00");
  EXPECT_EQ(r.code, exit_failed);
  EXPECT_EQ(test::count_lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("importTool: no full backup of Resources completed at or before 2026-11-30T01:05:00.000Z"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(out));
}

TEST(GenerateRestoreFiles, AMissingBackupFolderIsAnErrorNamingIt) {
  idabus::test::temp_dir dir;
  const auto r = run_in_process({"--generateRestoreFiles", (dir.path / "nowhere").string(), (dir.path / "out").string(),
                                 "Resources", "2026-11-30T02:00:00"});
  EXPECT_EQ(r.code, exit_failed);
  EXPECT_EQ(test::count_lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("nowhere"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir.path / "out"));
}

TEST(GenerateRestoreFiles, ABadDateIsAUsageError) {
  backups b;
  const auto r = generate(b, b.dir.path / "out", "Resources", "2026-13-30T02:00:00");
  EXPECT_EQ(r.code, exit_usage);
  EXPECT_NE(r.err.find("2026-13-30T02:00:00"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(b.dir.path / "out"));
}

TEST(GenerateRestoreFiles, AnUnknownCollectionTypeIsAUsageErrorNamingIt) {
  backups b;
  const auto r = generate(b, b.dir.path / "out", "Resources,Users", "2026-11-30T02:10:00");
  EXPECT_EQ(r.code, exit_usage);
  EXPECT_NE(r.err.find("unknown collection type 'Users'"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(b.dir.path / "out"));
}

TEST(GenerateRestoreFiles, RefusesAChainThatNeedsACorruptChunkAndNamesIt) {
  backups b;
  idabus::test::flip_byte(b.incremental / "Resources/000001.jsonl.zst");
  const auto out = b.dir.path / "out";
  const auto r = generate(b, out, "Resources", "2026-11-30T02:10:00");
  EXPECT_EQ(r.code, exit_failed);
  EXPECT_EQ(test::count_lines(r.err), 1u) << r.err;
  // Found by re-hashing before anything is written, not by the merge tripping over it.
  EXPECT_NE(r.err.find("needs backup set " + b.incremental.filename().string() + ", which is corrupt"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("Resources/000001.jsonl.zst"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
  // Events of the same set are intact, and a restore before the set does not need it.
  EXPECT_EQ(generate(b, b.dir.path / "events", "Events", "2026-11-30T02:10:00").code, exit_success);
  EXPECT_EQ(generate(b, b.dir.path / "early", "Resources", "2026-11-30T01:30:00").code, exit_success);
}

TEST(GenerateRestoreFiles, AnIncompleteSetIsReportedAndSkipped) {
  backups b;
  fs::remove(b.incremental / "manifest.json");
  const auto out = b.dir.path / "out";
  const auto r = generate(b, out, "Resources", "2026-11-30T02:10:00");
  ASSERT_EQ(r.code, exit_success) << r.err;
  EXPECT_NE(r.err.find("skipping backup set " + b.incremental.filename().string() + ": incomplete"), std::string::npos)
      << r.err;
  EXPECT_EQ(documents_in(out, "Resources").size(), 3u);  // the full backup alone
}

TEST(GenerateRestoreFiles, AnOutputFolderHoldingARestoreIsRefusedUntouched) {
  backups b;
  const auto out = b.dir.path / "out";
  ASSERT_EQ(generate(b, out, "Resources", "2026-11-30T02:10:00").code, exit_success);
  const auto before = files::read_file(out / "Resources.000001.json");
  fs::remove(out / "restore-plan.json");
  const auto r = generate(b, out, "Resources", "2026-11-30T01:30:00");
  EXPECT_EQ(r.code, exit_failed);
  EXPECT_NE(r.err.find("already holds restore files of Resources"), std::string::npos) << r.err;
  EXPECT_EQ(files::read_file(out / "Resources.000001.json"), before);
}

TEST(GenerateRestoreFiles, AFailingMergeLeavesNothingBehind) {
  backups b;
  // A chunk whose hash matches its manifest but whose line is no document (written that way).
  b.chain.incremental("broken", {events({{chunk_phase::basis, {R"({"eventType":"Request","_ts":1})"}}})});
  const auto out = b.dir.path / "out";
  const auto r = generate(b, out, "Resources,Events", "2026-11-30T04:00:00");
  EXPECT_EQ(r.code, exit_failed);
  EXPECT_NE(r.err.find("Events/000001.jsonl.zst line 1"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
}

TEST(GenerateRestoreFiles, TheProgramRunsAndExitsZero) {
  backups b;
  const auto out = b.dir.path / "out";
  const auto r = test::run_process({"--generateRestoreFiles", b.folder.string(), out.string(), "Resources",
                                    "2026-11-30T02:10:00Z"},
                                   b.dir.path);
  EXPECT_EQ(r.code, exit_success) << r.err;
  EXPECT_EQ(documents_in(out, "Resources").size(), 3u);
  EXPECT_TRUE(fs::exists(out / "restore-plan.json"));
}

TEST(GenerateRestoreFiles, TheProgramPrintsOneLineAndExitsOneForAMissingFolder) {
  idabus::test::temp_dir dir;
  const auto r = test::run_process({"--generateRestoreFiles", (dir.path / "none").string(), (dir.path / "out").string(),
                                    "Resources", "2026-11-30T02:10:00Z"},
                                   dir.path);
  EXPECT_EQ(r.code, exit_failed);
  EXPECT_EQ(test::count_lines(r.err), 1u) << r.err;
  EXPECT_EQ(r.err.rfind("importTool: ", 0), 0u) << r.err;
  EXPECT_FALSE(fs::exists(dir.path / "out"));
}

TEST(GenerateRestoreFiles, TheProgramExitsTwoForABadDate) {
  idabus::test::temp_dir dir;
  const auto r = test::run_process({"--generateRestoreFiles", dir.path.string(), (dir.path / "out").string(),
                                    "Resources", "yesterday"},
                                   dir.path);
  EXPECT_EQ(r.code, exit_usage);
  EXPECT_NE(r.err.find("usage: importTool --generateRestoreFiles"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace idabus::import_tool

namespace idabus::import_tool {
namespace {

// Ctrl-C while the merge runs: exit 130 and the output folder gone. The process is frozen
// (SIGSTOP) as soon as its output folder appears, so the SIGINT lands in the merge, not after it.
TEST(GenerateRestoreFiles, InterruptedByCtrlCRemovesWhatItWroteAndExits130) {
  idabus::test::temp_dir dir;
  std::vector<idabus::test::chunk_spec> chunks;
  for (int k = 0; k < 12; ++k) {
    idabus::test::chunk_spec chunk;
    for (int i = 0; i < 4000; ++i) {
      chunk.documents.push_back(resource(std::to_string(k * 4000 + i), t0 - 100, std::string(400, 'v')));
    }
    chunks.push_back(std::move(chunk));
  }
  idabus::test::backup_chain(dir.path / "backups").full("b1", {resources(std::move(chunks))});
  const auto out = dir.path / "out";
  const std::string tool = idabus::test::program_path("importTool");
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::execl(tool.c_str(), tool.c_str(), "--generateRestoreFiles", (dir.path / "backups").c_str(), out.c_str(),
            "Resources", "2026-11-30T02:00:00", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  bool exited = false;
  while (!fs::exists(out)) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      break;
    }
    ::usleep(200);
  }
  ASSERT_FALSE(exited) << "importTool ended before creating its output folder, status " << status;
  ::kill(pid, SIGSTOP);
  ::kill(pid, SIGINT);
  ::kill(pid, SIGCONT);
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), exit_interrupted);
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace idabus::import_tool
