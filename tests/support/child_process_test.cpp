#include "support/child_process.hpp"

#include <gtest/gtest.h>

#include <sys/wait.h>

namespace idabus::test {
namespace {

TEST(ChildProcess, ReadsLinesFromStdout) {
  child_process child({"sh", "-c", "echo first; echo 'listening on http://127.0.0.1:1234'; exec sleep 5"});
  EXPECT_EQ(child.read_line(), "first");
  EXPECT_EQ(child.wait_for_line("listening on "), "http://127.0.0.1:1234");
}

TEST(ChildProcess, TerminateStopsALongRunningChild) {
  child_process child({"sleep", "30"});
  const auto started = std::chrono::steady_clock::now();
  const int status = child.terminate();
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

TEST(ChildProcess, ReadLineTimesOutWithoutOutput) {
  child_process child({"sleep", "30"});
  EXPECT_EQ(child.read_line(std::chrono::milliseconds(50)), std::nullopt);
}

TEST(ChildProcess, ReportsExitStatus) {
  child_process child({"sh", "-c", "exit 3"});
  const int status = child.wait();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3);
}

TEST(ChildProcess, MissingProgramIsAnError) {
  EXPECT_THROW(child_process({"/nonexistent/program"}), std::runtime_error);
}

}  // namespace
}  // namespace idabus::test
