#pragma once
// Running importTool from a test: in-process through import_tool_main with std::cout / std::cerr
// captured (run_in_process), as a process (build/bin/importTool) run to its end with stdout and
// stderr captured to files (run_process), or as a child process with its stderr appended to a file
// (tool_process), for tests that send it signals. The one copy for every test folder.

#include "support/child_process.hpp"
#include "tools/importTool/commands.hpp"

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace idabus::import_tool::test {

struct tool_result {
  int code = -1;
  std::string out;
  std::string err;
};

inline tool_result run_in_process(const std::vector<std::string>& args) {
  std::vector<std::string_view> views(args.begin(), args.end());
  std::ostringstream out, err;
  auto* old_out = std::cout.rdbuf(out.rdbuf());
  auto* old_err = std::cerr.rdbuf(err.rdbuf());
  tool_result r;
  r.code = import_tool_main(views);
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

/// A restore file's text: the documents as one JSON array, one per line.
inline std::string array_of(const std::vector<std::string>& docs) {
  std::string out = "[\n";
  for (std::size_t i = 0; i < docs.size(); ++i) out += (i ? ",\n" : "") + docs[i];
  return out + "\n]\n";
}

inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Runs build/bin/importTool with `args` (no shell metacharacters expected in them); `scratch` holds
/// the captured output files.
inline tool_result run_process(const std::vector<std::string>& args, const std::filesystem::path& scratch) {
  std::string command = idabus::test::program_path("importTool");
  for (const auto& a : args) command += " '" + a + "'";
  const auto out = scratch / "stdout.txt";
  const auto err = scratch / "stderr.txt";
  command += " >'" + out.string() + "' 2>'" + err.string() + "'";
  const int status = std::system(command.c_str());
  tool_result r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

inline std::size_t count_lines(const std::string& text) {
  std::size_t n = 0;
  for (char c : text) n += c == '\n' ? 1 : 0;
  return n;
}

/// build/bin/importTool with `args`, stderr appended to `err_file`.
inline idabus::test::child_process tool_process(const std::vector<std::string>& args, const std::filesystem::path& err_file) {
  std::vector<std::string> argv{"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>>'" + err_file.string() + "'",
                                idabus::test::program_path("importTool")};
  argv.insert(argv.end(), args.begin(), args.end());
  return idabus::test::child_process(argv);
}

}  // namespace idabus::import_tool::test
