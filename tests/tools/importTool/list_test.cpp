// importTool --list over backup sets written with io/files (backup_set_builder), in-process.

#include "tools/importTool/commands.hpp"

#include "support/backup_set_builder.hpp"
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

idabus::test::set_spec set(std::string id, std::string basis, std::string completed, backup_type type,
                           std::optional<std::string> since = {}) {
  idabus::test::set_spec s;
  s.id = std::move(id);
  s.basis_started = std::move(basis);
  s.completed = std::move(completed);
  idabus::test::collection_spec c;
  c.type = type;
  if (since) c.since = idabus::test::utc(*since);
  c.chunks = {{chunk_phase::basis, {idabus::test::resource("a", 1), idabus::test::resource("b", 2)}}};
  if (type == backup_type::incremental) {
    c.tombstones = std::vector<io::files::tombstone>{idabus::test::deleted("z", "2026-11-30T01:20:00Z")};
  }
  s.collections.push_back(std::move(c));
  return s;
}

// f1 (01:10), i1 (02:05), f2 (03:10), i2 (04:05), and an incomplete set.
struct folder {
  idabus::test::temp_dir dir;
  folder() {
    idabus::test::write_backup_set(dir.path, set("f1", "2026-11-30T01:00:00Z", "2026-11-30T01:10:00Z", backup_type::full));
    idabus::test::write_backup_set(dir.path, set("i1", "2026-11-30T02:00:00Z", "2026-11-30T02:05:00Z",
                                                 backup_type::incremental, "2026-11-30T01:10:00Z"));
    idabus::test::write_backup_set(dir.path, set("f2", "2026-11-30T03:00:00Z", "2026-11-30T03:10:00Z", backup_type::full));
    idabus::test::write_backup_set(dir.path, set("i2", "2026-11-30T04:00:00Z", "2026-11-30T04:05:00Z",
                                                 backup_type::incremental, "2026-11-30T03:10:00Z"));
    auto broken = set("x", "2026-11-30T05:00:00Z", "2026-11-30T05:05:00Z", backup_type::full);
    broken.with_manifest = false;
    idabus::test::write_backup_set(dir.path, broken);
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
  folder f;
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
  folder f;
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
  folder f;
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
