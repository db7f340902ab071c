#include "tools/importTool/commands.hpp"

#include <gtest/gtest.h>

#include <iostream>
#include <sstream>
#include <vector>

namespace idabus::import_tool {
namespace {

struct run_result {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs import_tool_main in this process with std::cout / std::cerr captured.
run_result run(std::vector<std::string_view> args) {
  std::ostringstream out, err;
  auto* old_out = std::cout.rdbuf(out.rdbuf());
  auto* old_err = std::cerr.rdbuf(err.rdbuf());
  run_result r;
  r.code = import_tool_main(args);
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

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
