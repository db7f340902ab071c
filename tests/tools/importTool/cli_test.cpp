#include "tools/importTool/cli.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <vector>

namespace idabus::import_tool {
namespace {

command_line parse(std::initializer_list<std::string_view> args) {
  std::vector<std::string_view> v(args);
  return parse_command_line(v);
}

std::string usage_message(std::initializer_list<std::string_view> args, command* cmd = nullptr) {
  try {
    parse(args);
  } catch (const usage_error& e) {
    if (cmd != nullptr) *cmd = e.cmd();
    return e.what();
  }
  ADD_FAILURE() << "no usage_error";
  return {};
}

TEST(ImportToolCli, TheGuidesGenerateRestoreFilesLineParses) {
  auto line = parse({"--generateRestoreFiles", "/backups", "/out", "Resources,Events", "2022-12-31T22:00:00"});
  EXPECT_EQ(line.cmd, command::generate_restore_files);
  EXPECT_EQ(line.args, (std::vector<std::string>{"/backups", "/out", "Resources,Events", "2022-12-31T22:00:00"}));
  ASSERT_TRUE(line.time);
  EXPECT_EQ(io::files::format_utc_time(*line.time), "2022-12-31T22:00:00.000Z");
}

TEST(ImportToolCli, TheGuidesExportRawLineParsesWithOneDash) {
  auto line = parse({"-exportRaw", "/out/Resources.000001.json", "AccountEndpoint=https://h:1/;AccountKey=a2V5;",
                     "idabus", "Resources", "objecttype"});
  EXPECT_EQ(line.cmd, command::export_raw);
  ASSERT_EQ(line.args.size(), 5u);
  EXPECT_EQ(line.args[1], "AccountEndpoint=https://h:1/;AccountKey=a2V5;");
  EXPECT_EQ(line.opts.mode, write_mode::bulk);
  EXPECT_FALSE(line.opts.ru_budget);
}

TEST(ImportToolCli, CommandsTakeEitherDashFormAndAnyCase) {
  EXPECT_EQ(parse({"--exportraw", "f", "c", "d", "k", "p"}).cmd, command::export_raw);
  EXPECT_EQ(parse({"-generaterestorefiles", "a", "b", "c", "2022-01-01T00:00:00Z"}).cmd,
            command::generate_restore_files);
  EXPECT_EQ(parse({"-list", "f"}).cmd, command::list);
  EXPECT_EQ(parse({"--help"}).cmd, command::help);
  EXPECT_EQ(parse({"-h"}).cmd, command::help);
}

TEST(ImportToolCli, OptionsComeAnywhereAfterTheCommandWithOrWithoutEquals) {
  auto line = parse({"-exportRaw", "--ru-budget=5000", "f", "c", "--parallelism", "64", "d", "k", "--mode", "point",
                     "p", "--resume", "--dry-run", "--create-collection", "--scale-throughput", "20000"});
  EXPECT_EQ(line.args, (std::vector<std::string>{"f", "c", "d", "k", "p"}));
  EXPECT_EQ(line.opts.ru_budget, 5000.0);
  EXPECT_EQ(line.opts.parallelism, 64u);
  EXPECT_EQ(line.opts.mode, write_mode::point);
  EXPECT_TRUE(line.opts.resume);
  EXPECT_TRUE(line.opts.dry_run);
  EXPECT_TRUE(line.opts.create_collection);
  EXPECT_EQ(line.opts.scale_throughput, 20000u);
}

TEST(ImportToolCli, TimesAcceptZAndFractionsOrNeither) {
  for (auto text : {"2022-12-31T22:00:00", "2022-12-31T22:00:00Z", "2022-12-31T22:00:00.5", "2022-12-31T22:00:00.123456Z"}) {
    auto t = parse_time_argument(text);
    ASSERT_TRUE(t) << text;
    EXPECT_EQ(std::chrono::floor<std::chrono::seconds>(*t).time_since_epoch().count(), 1672524000) << text;
  }
  EXPECT_EQ(parse_time_argument("2022-12-31T22:00:00.5")->time_since_epoch().count() % 1000, 500);
  for (auto text : {"", "Z", "2022-12-31", "2022-12-31 22:00:00", "2022-12-31T22:00:00ZZ", "2022-13-31T22:00:00",
                    "31.12.2022 22:00"}) {
    EXPECT_FALSE(parse_time_argument(text)) << text;
  }
}

TEST(ImportToolCli, UntilIsParsedForList) {
  auto line = parse({"--list", "/backups", "--until", "2026-11-30T01:00:00"});
  ASSERT_TRUE(line.time);
  EXPECT_EQ(io::files::format_utc_time(*line.time), "2026-11-30T01:00:00.000Z");
  EXPECT_FALSE(parse({"--list", "/backups"}).time);
}

TEST(ImportToolCli, WrongArgumentsNameWhatWasExpectedAndTheCommand) {
  command cmd = command::help;
  EXPECT_EQ(usage_message({"-exportRaw", "f", "c", "d", "k"}, &cmd), "-exportRaw takes 5 arguments, got 4");
  EXPECT_EQ(cmd, command::export_raw);
  EXPECT_EQ(usage_message({"--generateRestoreFiles", "a", "b", "c", "yesterday"}, &cmd),
            "<maximumBackupFinalTimeUtc>: expected a UTC time like 2022-12-31T22:00:00, got 'yesterday'");
  EXPECT_EQ(cmd, command::generate_restore_files);
  EXPECT_EQ(usage_message({"--verify", "f", "--ru-budget", "5"}, &cmd), "option --ru-budget is not known to --verify");
  EXPECT_EQ(usage_message({"-exportRaw", "f", "c", "d", "k", "p", "--ru-budget", "0"}),
            "--ru-budget: expected a positive number of RU/s, got '0'");
  EXPECT_EQ(usage_message({"-exportRaw", "f", "c", "d", "k", "p", "--scale-throughput", "399"}),
            "--scale-throughput: expected RU/s from 400 to 1000000, got '399'");
  EXPECT_EQ(usage_message({"-exportRaw", "f", "c", "d", "k", "p", "--parallelism", "0"}),
            "--parallelism: expected a whole number from 1 to 1024, got '0'");
  EXPECT_EQ(usage_message({"-exportRaw", "f", "c", "d", "k", "p", "--mode", "fast"}),
            "--mode: expected 'bulk' or 'point', got 'fast'");
  EXPECT_EQ(usage_message({"-exportRaw", "f", "c", "d", "k", "p", "--resume=yes"}), "option --resume takes no value");
  EXPECT_EQ(usage_message({"-exportRaw", "f", "c", "d", "k", "p", "--ru-budget"}), "option --ru-budget needs a value");
  EXPECT_EQ(usage_message({"--list", "f", "--until", "soon"}),
            "--until: expected a UTC time like 2022-12-31T22:00:00, got 'soon'");
  EXPECT_EQ(usage_message({"restore", "x"}, &cmd).rfind("unknown command 'restore'", 0), 0u);
  EXPECT_EQ(cmd, command::help);
  EXPECT_EQ(usage_message({}), "no command given (try --help)");
}

TEST(ImportToolCli, EveryCommandHasItsOwnUsageLine) {
  EXPECT_EQ(usage_line(command::export_raw).rfind(
                "usage: importTool -exportRaw <restoreFile> <connectionString> <databaseName> <collectionName> "
                "<partitionKey>",
                0),
            0u);
  EXPECT_EQ(usage_line(command::generate_restore_files)
                .rfind("usage: importTool --generateRestoreFiles <backupFilesFolder> <outputFolderForFiles> "
                       "<collectionTypes> <maximumBackupFinalTimeUtc>",
                       0),
            0u);
  EXPECT_NE(usage_line(command::list), usage_line(command::verify));
  for (auto cmd : {command::generate_restore_files, command::export_raw, command::list, command::verify, command::compare}) {
    EXPECT_NE(help_text().find(usage_line(cmd).substr(7)), std::string::npos);
  }
}

TEST(ImportToolCli, ConfigGivesDefaultsAndTheCommandLineWins) {
  options o;
  apply_config(R"({"Logging":{"LogLevel":{"Default":"Warning"}},"ImportTool":{"RuBudget":2500,"Parallelism":8,"Mode":"point"}})",
               "a.json", o);
  EXPECT_EQ(o.log_level, "Warning");
  EXPECT_EQ(o.ru_budget, 2500.0);
  EXPECT_EQ(o.parallelism, 8u);
  EXPECT_EQ(o.mode, write_mode::point);

  const auto file = std::filesystem::temp_directory_path() / ("importtool-cli-" + std::to_string(::getpid()) + ".json");
  std::ofstream(file) << R"({"ImportTool":{"RuBudget":2500,"Parallelism":8}})";
  auto line = parse({"-exportRaw", "f", "c", "d", "k", "p", "--parallelism", "3", "--config", file.string()});
  std::filesystem::remove(file);
  EXPECT_EQ(line.opts.parallelism, 3u);
  EXPECT_EQ(line.opts.ru_budget, 2500.0);
}

TEST(ImportToolCli, ABadConfigNamesTheFileAndTheKey) {
  auto message = [](std::string_view json) {
    options o;
    try {
      apply_config(json, "app.json", o);
    } catch (const command_error& e) {
      EXPECT_EQ(e.code(), exit_usage);
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message(R"({"ImportTool":{"RuBudget":-1}})"), "app.json: ImportTool.RuBudget must be a positive number of RU/s");
  EXPECT_EQ(message(R"({"ImportTool":{"Parallelism":"many"}})"),
            "app.json: ImportTool.Parallelism must be a whole number from 1 to 1024");
  EXPECT_EQ(message(R"({"ImportTool":{"Mode":"fast"}})"), "app.json: ImportTool.Mode must be \"bulk\" or \"point\"");
  EXPECT_EQ(message(R"({"Logging":{"LogLevel":{"Default":"Loud"}}})"),
            "app.json: Logging.LogLevel.Default must be one of Trace, Debug, Information, Warning, Error, Critical, None");
  EXPECT_EQ(message("{not json").rfind("app.json: not valid JSON (", 0), 0u);
  EXPECT_EQ(message(R"({"Other":1})"), "no error");

  try {
    parse({"--list", "f", "--config", "/nonexistent/appsettings.json"});
    ADD_FAILURE() << "no error";
  } catch (const command_error& e) {
    EXPECT_EQ(std::string(e.what()), "--config /nonexistent/appsettings.json: cannot be read");
    EXPECT_EQ(e.code(), exit_usage);
  }
}

}  // namespace
}  // namespace idabus::import_tool
