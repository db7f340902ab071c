#pragma once
// commands: one function per importTool command, each in its own file (DESIGN §8).
// Each returns an exit code (cli.hpp exit_code), or throws command_error (one line naming the
// problem, with its exit code) or usage_error. main() prints the message; these functions write
// their own output (stdout for results, stderr for progress).

#include "tools/importTool/cli.hpp"

namespace idabus::import_tool {

int run_generate_restore_files(const command_line& line);  ///< generate_restore_files.cpp
int run_export_raw(const command_line& line);              ///< export_raw.cpp
int run_list(const command_line& line);                    ///< list.cpp
int run_verify(const command_line& line);                  ///< verify.cpp
int run_compare(const command_line& line);                 ///< compare.cpp

/// Parses `args` (argv[1..]) and runs the command; prints errors as "importTool: <one line>"
/// (usage errors with the command's usage line) to `err`. Returns the process exit code.
int import_tool_main(std::span<const std::string_view> args);

}  // namespace idabus::import_tool
