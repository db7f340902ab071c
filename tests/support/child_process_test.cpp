#include "support/child_process.hpp"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

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

bool is_zombie(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const auto close_paren = line.rfind(')');
  return close_paren != std::string::npos && close_paren + 2 < line.size() && line[close_paren + 2] == 'Z';
}

TEST(ChildProcess, ChildDiesWhenTheTestProcessDiesWithoutCleanup) {
  int pid_pipe[2];
  ASSERT_EQ(::pipe(pid_pipe), 0);
  const pid_t test_process = ::fork();
  ASSERT_GE(test_process, 0);
  if (test_process == 0) {
    child_process* leaked = new child_process({"sleep", "30"});
    const pid_t server = leaked->pid();
    (void)!::write(pid_pipe[1], &server, sizeof server);
    ::_exit(0);  // no destructors, like an aborted test
  }
  pid_t server = -1;
  ASSERT_EQ(::read(pid_pipe[0], &server, sizeof server), static_cast<ssize_t>(sizeof server));
  ::waitpid(test_process, nullptr, 0);
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    gone = ::kill(server, 0) != 0 || is_zombie(server);  // killed: a zombie until init reaps it
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!gone) ::kill(server, SIGKILL);
  EXPECT_TRUE(gone);
}

TEST(ChildProcess, MissingProgramIsAnError) {
  EXPECT_THROW(child_process({"/nonexistent/program"}), std::runtime_error);
}

TEST(ChildProcess, ProgramPathNamesAProgramNextToTheRunningExecutable) {
  // This test executable is itself one of the build's programs in build/bin/.
  const std::filesystem::path self = std::filesystem::canonical("/proc/self/exe");
  const std::filesystem::path found = program_path(self.filename().string());
  EXPECT_TRUE(found.is_absolute());
  EXPECT_EQ(found, self);
  EXPECT_EQ(std::filesystem::path(program_path("cosmos-emulator")).parent_path(), self.parent_path());
}

}  // namespace
}  // namespace idabus::test
