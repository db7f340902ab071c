// importTool --list over backup sets written with io/files (backup_set_builder), in-process.

#include "tools/importTool/commands.hpp"

#include "support/backup_chain.hpp"
#include "support/temp_dir.hpp"
#include "tests/tools/importTool/run_tool.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace idabus::import_tool {
namespace {

namespace fs = std::filesystem;
using io::files::backup_type;
using io::files::chunk_phase;
using test::run_in_process;

// Resources with two documents.
idabus::test::collection_spec two_documents() {
  using idabus::test::resource;
  return idabus::test::resources({{chunk_phase::basis, {resource("a", 1), resource("b", 2)}}});
}

// The same and a delete (an incremental's tombstone).
idabus::test::collection_spec two_documents_and_a_delete() {
  auto c = two_documents();
  c.tombstones = std::vector<io::files::tombstone>{idabus::test::deleted("z", "2026-11-30T01:20:00Z")};
  return c;
}

// f1 (01:10), i1 (02:05), f2 (03:10), i2 (04:05), and an incomplete set.
struct chain_folder {
  idabus::test::temp_dir dir;
  chain_folder() {
    idabus::test::backup_chain chain(dir.path);
    chain.full("f1", {two_documents()});
    chain.incremental("i1", {two_documents_and_a_delete()});
    chain.full("f2", {two_documents()});
    chain.incremental("i2", {two_documents_and_a_delete()});
    auto broken = chain.next("x", backup_type::full, {two_documents()});
    broken.with_manifest = false;
    chain.write(broken);
  }
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The sets marked '*' by --until, by backup id.
std::vector<std::string> marked(const std::string& out) {
  std::vector<std::string> ids;
  for (const auto& line : lines_of(out)) {
    if (line.rfind("* ", 0) != 0) continue;
    const auto id = line.find("id=");
    ids.push_back(line.substr(id + 3, line.find(' ', id) - id - 3));
  }
  return ids;
}

TEST(List, PrintsEverySetWithIdTimeTypeCountsAndStatus) {
  chain_folder f;
  const auto r = run_in_process({"--list", f.dir.path.string()});
  ASSERT_EQ(r.code, exit_success) << r.err;
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 6u) << r.out;
  EXPECT_EQ(lines[0].rfind("backup-20261130T010000Z-f1  id=f1  completed=2026-11-30T01:10:00.000Z  complete", 0), 0u)
      << lines[0];
  EXPECT_NE(lines[0].find("Resources=full,2 documents,"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("Resources=incremental,2 documents,1 deletes,"), std::string::npos) << lines[1];
  EXPECT_NE(lines[4].find("backup-20261130T050000Z-x  id=-  completed=-  incomplete"), std::string::npos) << lines[4];
  EXPECT_EQ(lines[5], "5 backup sets");
}

TEST(List, UntilMarksExactlyTheSetsARestoreAtTNeeds) {
  chain_folder f;
  auto r = run_in_process({"--list", f.dir.path.string(), "--until", "2026-11-30T02:30:00"});
  ASSERT_EQ(r.code, exit_success) << r.err;
  EXPECT_EQ(marked(r.out), (std::vector<std::string>{"f1", "i1"}));
  EXPECT_NE(r.out.find("2 of 5 backup sets needed for a restore at 2026-11-30T02:30:00.000Z"), std::string::npos);
  r = run_in_process({"--list", f.dir.path.string(), "--until", "2026-11-30T03:10:00Z"});
  EXPECT_EQ(marked(r.out), (std::vector<std::string>{"f2"}));
  r = run_in_process({"--list", f.dir.path.string(), "--until", "2026-12-01T00:00:00Z"});
  EXPECT_EQ(marked(r.out), (std::vector<std::string>{"f2", "i2"}));
  EXPECT_EQ(lines_of(r.out)[4].rfind("- ", 0), 0u);  // the incomplete set is never needed
}

TEST(List, UntilBeforeEveryFullBackupNamesTheCollectionAndFails) {
  chain_folder f;
  const auto r = run_in_process({"--list", f.dir.path.string(), "--until", "2026-11-30T01:00:00"});
  EXPECT_EQ(r.code, exit_failed);
  EXPECT_NE(r.err.find("no full backup of Resources"), std::string::npos) << r.err;
  EXPECT_TRUE(marked(r.out).empty());
}

TEST(List, AMissingFolderIsAnError) {
  idabus::test::temp_dir dir;
  const auto r = run_in_process({"--list", (dir.path / "none").string()});
  EXPECT_EQ(r.code, exit_failed);
  EXPECT_EQ(test::count_lines(r.err), 1u) << r.err;
}

}  // namespace
}  // namespace idabus::import_tool
