// importTool --verify over backup sets written with io/files (backup_set_builder), in-process.

#include "tools/importTool/commands.hpp"

#include "support/backup_chain.hpp"
#include "support/temp_dir.hpp"
#include "tests/tools/importTool/run_tool.hpp"

#include <gtest/gtest.h>

namespace idabus::import_tool {
namespace {

namespace fs = std::filesystem;
using io::files::chunk_phase;
using test::run_in_process;

struct verified_folder {
  idabus::test::temp_dir dir;
  fs::path set_dir;
  verified_folder() {
    set_dir = idabus::test::backup_chain(dir.path).full(
        "b1", {idabus::test::resources({{chunk_phase::basis, {idabus::test::resource("a", 1)}},
                                        {chunk_phase::basis, {idabus::test::resource("b", 2)}},
                                        {chunk_phase::delta, {idabus::test::resource("c", 3)}}})});
  }
};

TEST(Verify, AnIntactFolderIsOk) {
  verified_folder f;
  const auto r = run_in_process({"--verify", f.dir.path.string()});
  EXPECT_EQ(r.code, exit_success) << r.err;
  EXPECT_NE(r.out.find(f.set_dir.filename().string() + ": ok (3 files, "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 backup sets, 0 bad"), std::string::npos) << r.out;
}

TEST(Verify, AFlippedByteNamesExactlyThatChunkAndFails) {
  verified_folder f;
  idabus::test::flip_byte(f.set_dir / "Resources/000002.jsonl.zst");
  const auto r = run_in_process({"--verify", f.dir.path.string()});
  EXPECT_EQ(r.code, exit_failed);
  EXPECT_NE(r.out.find(f.set_dir.filename().string() + ": corrupt"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  Resources/000002.jsonl.zst: sha256 mismatch: "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("000001.jsonl.zst"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("000003.jsonl.zst"), std::string::npos) << r.out;
  EXPECT_EQ(test::count_lines(r.err), 1u) << r.err;
}

TEST(Verify, EveryBadChunkIsNamed) {
  verified_folder f;
  idabus::test::flip_byte(f.set_dir / "Resources/000001.jsonl.zst");
  fs::remove(f.set_dir / "Resources/000003.jsonl.zst");
  const auto r = run_in_process({"--verify", f.dir.path.string()});
  EXPECT_EQ(r.code, exit_failed);
  EXPECT_NE(r.out.find("Resources/000001.jsonl.zst: sha256 mismatch"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Resources/000003.jsonl.zst: missing"), std::string::npos) << r.out;
}

TEST(Verify, AnIncompleteSetIsReportedButIsNoFailure) {
  verified_folder f;
  idabus::test::set_spec s;
  s.id = "unfinished";
  s.basis_started = "2026-11-30T05:00:00Z";
  s.with_manifest = false;
  idabus::test::write_backup_set(f.dir.path, s);
  const auto r = run_in_process({"--verify", f.dir.path.string()});
  EXPECT_EQ(r.code, exit_success) << r.err;
  EXPECT_NE(r.out.find("backup-20261130T050000Z-unfinished: incomplete"), std::string::npos) << r.out;
}

TEST(Verify, AnUnreadableManifestFails) {
  verified_folder f;
  io::files::write_file_atomically(f.set_dir / "manifest.json", "{");
  EXPECT_EQ(run_in_process({"--verify", f.dir.path.string()}).code, exit_failed);
}

TEST(Verify, AFolderWithoutSetsFails) {
  idabus::test::temp_dir dir;
  const auto r = run_in_process({"--verify", dir.path.string()});
  EXPECT_EQ(r.code, exit_failed);
  EXPECT_NE(r.err.find("no backup sets"), std::string::npos) << r.err;
}

TEST(Verify, TheProgramExitsOneNamingTheBadChunk) {
  verified_folder f;
  idabus::test::flip_byte(f.set_dir / "Resources/000002.jsonl.zst");
  const auto scratch = f.dir.path / "scratch";
  fs::create_directories(scratch);
  const auto r = test::run_process({"--verify", f.dir.path.string()}, scratch);
  EXPECT_EQ(r.code, exit_failed);
  EXPECT_NE(r.out.find("Resources/000002.jsonl.zst: sha256 mismatch"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace idabus::import_tool
