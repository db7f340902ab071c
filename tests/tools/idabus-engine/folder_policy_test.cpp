#include "tools/idabus-engine/folder_policy.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

namespace idabus::engine {
namespace {

struct FolderPolicy : ::testing::Test {
  void SetUp() override {
    base = std::filesystem::temp_directory_path() / ("engine-folder-" + std::to_string(::getpid()));
    std::filesystem::remove_all(base);
    std::filesystem::create_directories(base / "root" / "inside");
    std::filesystem::create_directories(base / "elsewhere");
    std::filesystem::create_directory_symlink(base / "elsewhere", base / "root" / "escape");
    std::filesystem::create_directory_symlink(base / "root", base / "rootlink");
    roots = {(base / "root").string()};
  }
  void TearDown() override { std::filesystem::remove_all(base); }
  std::filesystem::path base;
  std::vector<std::string> roots;
};

TEST_F(FolderPolicy, AllowsFoldersInsideARootExistingOrNot) {
  auto c = check_backup_folder((base / "root" / "inside").string(), roots);
  EXPECT_EQ(c.verdict, folder_verdict::allowed);
  EXPECT_EQ(c.canonical, base / "root" / "inside");
  EXPECT_EQ(check_backup_folder((base / "root" / "new" / "deeper").string(), roots).verdict, folder_verdict::allowed);
  EXPECT_EQ(check_backup_folder((base / "root").string(), roots).verdict, folder_verdict::allowed);
  EXPECT_EQ(check_backup_folder((base / "rootlink" / "x").string(), roots).verdict, folder_verdict::allowed);
}

TEST_F(FolderPolicy, RejectsDotDotEscape) {
  EXPECT_EQ(check_backup_folder((base / "root" / ".." / "elsewhere").string(), roots).verdict, folder_verdict::outside_roots);
  EXPECT_EQ(check_backup_folder((base / "root" / "nothere" / ".." / ".." / "elsewhere").string(), roots).verdict,
            folder_verdict::outside_roots);
}

TEST_F(FolderPolicy, RejectsSymlinkEscape) {
  const auto c = check_backup_folder((base / "root" / "escape" / "x").string(), roots);
  EXPECT_EQ(c.verdict, folder_verdict::outside_roots);
  EXPECT_NE(c.detail.find("outside Backup.AllowedRoots"), std::string::npos);
}

TEST_F(FolderPolicy, RejectsSiblingWithTheRootAsPrefix) {
  EXPECT_EQ(check_backup_folder((base / "rootother").string(), roots).verdict, folder_verdict::outside_roots);
}

TEST_F(FolderPolicy, MissingOrRelativeFolderIsABadRequest) {
  EXPECT_EQ(check_backup_folder("", roots).verdict, folder_verdict::missing);
  EXPECT_EQ(check_backup_folder("backups/x", roots).verdict, folder_verdict::relative);
}

}  // namespace
}  // namespace idabus::engine
