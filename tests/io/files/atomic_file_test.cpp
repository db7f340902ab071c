#include "io/files/atomic_file.hpp"

#include "support/page_cache.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <sys/stat.h>

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

// `size` bytes that differ from block to block, so a block written at the wrong offset shows.
std::string atomic_file_test_bytes(std::size_t size) {
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>((i * 2654435761u) >> 13);
  return bytes;
}

TEST(AtomicFile, LargeFilesAreWrittenWholeWhateverTheirTail) {
  test::temp_dir dir;
  for (const std::size_t size : {direct_io_min_bytes, 3 * direct_io_bounce_bytes, 3 * direct_io_bounce_bytes + 1234,
                                 direct_io_min_bytes + direct_io_block - 1}) {
    const auto bytes = atomic_file_test_bytes(size);
    write_file_atomically(dir.path / "big.bin", bytes, file_cache::skip);
    EXPECT_EQ(read_file(dir.path / "big.bin"), bytes) << size;
  }
  EXPECT_EQ(names_in(dir.path), std::vector<std::string>{"big.bin"});
}

TEST(AtomicFile, SkippingTheCacheLeavesALargeFileOutOfIt) {
  test::temp_dir dir;
  if (!test::direct_io_works(dir.path)) GTEST_SKIP() << "the temp directory's file system has no O_DIRECT";
  const auto bytes = atomic_file_test_bytes(4 * direct_io_bounce_bytes + 100);
  write_file_atomically(dir.path / "big.bin", bytes, file_cache::skip);
  EXPECT_LE(test::cached_pages(dir.path / "big.bin"), 1u) << "only the tail's page went through the cache";
  EXPECT_EQ(read_file(dir.path / "big.bin"), bytes);
}

TEST(AtomicFile, ByDefaultALargeFileStaysInTheCache) {
  test::temp_dir dir;
  write_file_atomically(dir.path / "big.bin", atomic_file_test_bytes(4 * direct_io_bounce_bytes));
  EXPECT_GT(test::cached_pages(dir.path / "big.bin"), 512u);
}

TEST(AtomicFile, ASmallFileGoesThroughTheCacheEvenWhenSkipping) {
  test::temp_dir dir;
  write_file_atomically(dir.path / "small.json", atomic_file_test_bytes(direct_io_min_bytes - 1), file_cache::skip);
  EXPECT_GT(test::cached_pages(dir.path / "small.json"), 1u);
}

TEST(AtomicFileWriter, RenamesThePiecesOverThePathOnlyOnCommit) {
  test::temp_dir dir;
  const auto bytes = atomic_file_test_bytes(3 * direct_io_bounce_bytes + 77);
  atomic_file_writer file(dir.path / "pieces.bin");
  std::string_view rest = bytes;
  for (const std::size_t piece : {direct_io_bounce_bytes, std::size_t{77}, std::size_t{4096}}) {
    file.write(rest.substr(0, piece), file_cache::skip);
    rest.remove_prefix(piece);
  }
  file.write(rest);
  EXPECT_EQ(file.bytes_written(), bytes.size());
  EXPECT_FALSE(fs::exists(dir.path / "pieces.bin"));
  EXPECT_EQ(read_file(file.temporary_path()), bytes);
  file.commit();
  EXPECT_EQ(read_file(dir.path / "pieces.bin"), bytes);
  EXPECT_EQ(names_in(dir.path), std::vector<std::string>{"pieces.bin"});
}

TEST(AtomicFileWriter, DestroyedWithoutCommitLeavesNothing) {
  test::temp_dir dir;
  {
    atomic_file_writer file(dir.path / "gone.bin");
    file.write("some bytes");
    EXPECT_EQ(names_in(dir.path).size(), 1u);
  }
  EXPECT_TRUE(names_in(dir.path).empty());
}

TEST(AtomicFileWriter, WriteAfterCommitIsALogicError) {
  test::temp_dir dir;
  atomic_file_writer file(dir.path / "done.bin");
  file.commit();
  EXPECT_THROW(file.write("late"), std::logic_error);
  EXPECT_EQ(read_file(dir.path / "done.bin"), "");
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

TEST(AtomicFile, ReadingANamedPipeIsRefusedWithoutWaitingForAWriter) {
  // Opening a FIFO for reading blocks until something opens it for writing: never here.
  test::temp_dir dir;
  const auto fifo = dir.path / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  try {
    read_file(fifo);
    ADD_FAILURE() << "a named pipe was read";
  } catch (const file_error& e) {
    EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
  }
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

TEST(AtomicFile, AReadFileTakesNoMoreMemoryThanItsSize) {
  test::temp_dir dir;
  const auto bytes = atomic_file_test_bytes(3 * direct_io_bounce_bytes + 5);
  write_file_atomically(dir.path / "big.bin", bytes);
  const auto read = read_file(dir.path / "big.bin");
  EXPECT_EQ(read, bytes);
  EXPECT_EQ(read.capacity(), bytes.size()) << "no regrowth to find the end of the file";
}

TEST(AtomicFile, AFileLongerThanItsStatedSizeIsReadWhole) {
  // /proc files state size 0: everything comes after the end the size promised.
  EXPECT_NE(read_file("/proc/self/status").find("VmRSS:"), std::string::npos);
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
