#pragma once
// Runs importTool for a test: in this process through import_tool_main with std::cout and
// std::cerr captured (run_tool), or as a child process of build/bin/importTool with its stderr
// going to a file (tool_process), for tests that send it signals.

#include "support/child_process.hpp"
#include "tools/importTool/commands.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace idabus::import_tool::test {

struct tool_run {
  int code = -1;
  std::string out, err;
};

inline tool_run run_tool(const std::vector<std::string>& args) {
  std::vector<std::string_view> views(args.begin(), args.end());
  std::ostringstream out, err;
  auto* old_out = std::cout.rdbuf(out.rdbuf());
  auto* old_err = std::cerr.rdbuf(err.rdbuf());
  tool_run r;
  r.code = import_tool_main(views);
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

/// build/bin/importTool with `args`, stderr appended to `err_file`.
inline idabus::test::child_process tool_process(const std::vector<std::string>& args, const std::filesystem::path& err_file) {
  std::vector<std::string> argv{"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>>'" + err_file.string() + "'",
                                std::string(IDABUS_BIN_DIR) + "/importTool"};
  argv.insert(argv.end(), args.begin(), args.end());
  return idabus::test::child_process(argv);
}

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace idabus::import_tool::test
