#pragma once
// cli: the command line of importTool (DESIGN §8), the operators' guide's exact forms plus ours:
//
//   importTool --generateRestoreFiles <backupFilesFolder> <outputFolderForFiles> <collectionTypes> <maximumBackupFinalTimeUtc>
//   importTool -exportRaw <restoreFile> <connectionString> <databaseName> <collectionName> <partitionKey>
//   importTool --list <folder> [--until T]
//   importTool --verify <folder>
//   importTool --compare <restoreFileOrFolder> <connectionString> <databaseName> <collectionName> <partitionKey>
//   importTool --help
//
// - A command is accepted with one or two dashes and in any letter case (`-exportRaw`,
//   `--exportraw`). It comes first; options may follow anywhere after it, each with its value as
//   the next argument or after '=' (`--ru-budget=5000`).
// - Options: --ru-budget N, --scale-throughput N, --parallelism N, --mode bulk|point, --resume,
//   --dry-run, --create-collection, --config PATH, --until T (list only). An option a command does
//   not take is a usage error naming it.
// - Times (`<maximumBackupFinalTimeUtc>`, --until) are UTC: `2022-12-31T22:00:00`, with or without
//   `Z`, with or without a fraction of a second.
// - --config PATH reads appsettings.json: `Logging.LogLevel.Default` (Trace, Debug, Information,
//   Warning, Error, Critical, None) and the defaults of the `ImportTool` section (`RuBudget`,
//   `Parallelism`, `Mode`); options given on the command line win.
// parse_command_line throws usage_error (the message names the argument or option and what was
// expected; main prints it with the command's usage line and exits with exit_usage) and
// command_error for a --config file that cannot be read or is invalid (exit_usage too).
// Nothing here touches the network or writes a file.

#include "io/files/manifest.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace idabus::import_tool {

/// Exit codes (README "Exit codes").
enum exit_code : int {
  exit_success = 0,       ///< everything done (compare: the collection equals the restore files)
  exit_failed = 1,        ///< failed (compare: differences found; verify: a bad set)
  exit_usage = 2,         ///< wrong command line or --config file
  exit_partial = 3,       ///< exportRaw: some documents were rejected by the service (reject file)
  exit_interrupted = 130  ///< SIGINT / SIGTERM
};

enum class command { help, generate_restore_files, export_raw, list, verify, compare };
enum class write_mode { bulk, point };

struct options {
  std::optional<double> ru_budget;                ///< --ru-budget N (RU/s, > 0)
  std::optional<std::uint64_t> scale_throughput;  ///< --scale-throughput N (RU/s, >= 400)
  std::size_t parallelism = 0;                    ///< --parallelism N (1..1024); 0 = the command's default
  write_mode mode = write_mode::bulk;             ///< --mode bulk|point
  bool resume = false;                            ///< --resume
  bool dry_run = false;                           ///< --dry-run
  bool create_collection = false;                 ///< --create-collection
  std::optional<std::filesystem::path> config;    ///< --config PATH
  std::string log_level = "Information";          ///< appsettings Logging.LogLevel.Default
};

struct command_line {
  command cmd = command::help;
  std::vector<std::string> args;            ///< the positional arguments, in order
  std::optional<io::files::utc_time> time;  ///< generate: <maximumBackupFinalTimeUtc>; list: --until T
  options opts;
};

/// A wrong command line: main prints "importTool: <what>", the command's usage line, exit 2.
class usage_error : public std::runtime_error {
 public:
  usage_error(command cmd, const std::string& what) : std::runtime_error(what), cmd_(cmd) {}
  command cmd() const noexcept { return cmd_; }

 private:
  command cmd_;
};

/// A command that failed: main prints "importTool: <what>" (one line) and exits with code().
class command_error : public std::runtime_error {
 public:
  explicit command_error(const std::string& what, int code = exit_failed) : std::runtime_error(what), code_(code) {}
  int code() const noexcept { return code_; }

 private:
  int code_;
};

/// "usage: importTool -exportRaw <restoreFile> ..." (one line, no newline).
std::string_view usage_line(command cmd);

/// The whole --help text (every command and option, the exit codes).
std::string help_text();

/// Parses argv[1..] (without the program name). See the file comment.
command_line parse_command_line(std::span<const std::string_view> args);

/// "2022-12-31T22:00:00", with or without "Z" and a fraction; std::nullopt when malformed.
std::optional<io::files::utc_time> parse_time_argument(std::string_view text);

/// Applies appsettings.json text to `opts` (parse_command_line applies it before the command
/// line's own options, so those win). Unknown keys are ignored. Throws command_error(exit_usage)
/// naming the file, the key and what was expected.
void apply_config(std::string_view json_text, const std::string& file_name, options& opts);

}  // namespace idabus::import_tool
