#include "tools/importTool/commands.hpp"

#include "tests/tools/importTool/run_tool.hpp"

#include <gtest/gtest.h>

#include <iostream>
#include <sstream>
#include <vector>

namespace idabus::import_tool {
namespace {

// In this process, std::cout / std::cerr captured.
test::tool_result run(const std::vector<std::string>& args) { return test::run_in_process(args); }

TEST(ImportToolMain, HelpPrintsEveryCommandAndExitsZero) {
  auto r = run({"--help"});
  EXPECT_EQ(r.code, exit_success);
  EXPECT_EQ(r.out, help_text());
  EXPECT_TRUE(r.err.empty());
}

TEST(ImportToolMain, AWrongCommandLinePrintsTheProblemAndThatCommandsUsageAndExitsTwo) {
  auto r = run({"--verify"});
  EXPECT_EQ(r.code, exit_usage);
  EXPECT_EQ(r.err, "importTool: --verify takes 1 argument, got 0\n" + std::string(usage_line(command::verify)) + "\n");
  EXPECT_TRUE(r.out.empty());
}

TEST(ImportToolMain, NoCommandPrintsTheHelpUsageAndExitsTwo) {
  auto r = run({});
  EXPECT_EQ(r.code, exit_usage);
  EXPECT_EQ(r.err, "importTool: no command given (try --help)\n" + std::string(usage_line(command::help)) + "\n");
}

TEST(ImportToolMain, ABadConfigIsAOneLineErrorWithExitTwo) {
  auto r = run({"--list", "folder", "--config", "/nonexistent/appsettings.json"});
  EXPECT_EQ(r.code, exit_usage);
  EXPECT_EQ(r.err, "importTool: --config /nonexistent/appsettings.json: cannot be read\n");
}

}  // namespace
}  // namespace idabus::import_tool
