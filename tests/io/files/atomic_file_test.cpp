#include "io/files/atomic_file.hpp"

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace idabus::io::files {
namespace {

namespace fs = std::filesystem;

using test::names_in;

TEST(AtomicFile, WritesTheBytesAndLeavesNoTemporaryFile) {
  test::temp_dir dir;
  const std::string bytes("line 1\n\0binary\xff", 15);
  write_file_atomically(dir.path / "a.bin", bytes);
  EXPECT_EQ(read_file(dir.path / "a.bin"), bytes);
  EXPECT_EQ(names_in(dir.path), std::vector<std::string>{"a.bin"});
}

TEST(AtomicFile, ReplacesAnExistingFileWhole) {
  test::temp_dir dir;
  write_file_atomically(dir.path / "m.json", std::string(10000, 'x'));
  write_file_atomically(dir.path / "m.json", "short");
  EXPECT_EQ(read_file(dir.path / "m.json"), "short");
  EXPECT_EQ(names_in(dir.path), std::vector<std::string>{"m.json"});
}

TEST(AtomicFile, WritesAnEmptyFile) {
  test::temp_dir dir;
  write_file_atomically(dir.path / "empty", "");
  EXPECT_EQ(read_file(dir.path / "empty"), "");
}

TEST(AtomicFile, FailedRenameLeavesNoPartialFileBehind) {
  test::temp_dir dir;
  // The target is a non-empty directory: the data is written to the temporary file, the rename fails.
  fs::create_directories(dir.path / "target" / "inside");
  try {
    write_file_atomically(dir.path / "target", "payload");
    FAIL() << "expected file_error";
  } catch (const file_error& e) {
    EXPECT_NE(std::string(e.what()).find("rename"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("target"), std::string::npos) << e.what();
  }
  EXPECT_EQ(names_in(dir.path), std::vector<std::string>{"target"});
  EXPECT_TRUE(fs::is_directory(dir.path / "target"));
}

TEST(AtomicFile, MissingDirectoryIsAFileErrorNamingThePath) {
  test::temp_dir dir;
  try {
    write_file_atomically(dir.path / "nope" / "x", "payload");
    FAIL() << "expected file_error";
  } catch (const file_error& e) {
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos) << e.what();
  }
}

TEST(AtomicFile, ReadingAMissingFileIsAFileError) {
  test::temp_dir dir;
  EXPECT_THROW(read_file(dir.path / "missing"), file_error);
  EXPECT_THROW(read_file(dir.path), file_error);  // a directory is not a regular file
}

TEST(AtomicFile, TemporaryNamesAreRecognised) {
  EXPECT_TRUE(is_temporary_name("000001.jsonl.zst.tmp-123-4"));
  EXPECT_FALSE(is_temporary_name("000001.jsonl.zst"));
}

TEST(AtomicFile, FsyncOfAMissingDirectoryFails) {
  test::temp_dir dir;
  EXPECT_NO_THROW(fsync_directory(dir.path));
  EXPECT_THROW(fsync_directory(dir.path / "missing"), file_error);
}

}  // namespace
}  // namespace idabus::io::files
