#include "tools/importTool/cli.hpp"

#include <boost/algorithm/string/predicate.hpp>
#include <simdjson.h>

#include <array>
#include <charconv>
#include <fstream>
#include <sstream>

namespace idabus::import_tool {
namespace {

struct command_spec {
  command cmd;
  std::string_view name;  ///< without dashes
  std::size_t arity;
  std::string_view usage;
};

constexpr std::array<command_spec, 6> commands{{
    {command::help, "help", 0, "usage: importTool --help"},
    {command::generate_restore_files, "generateRestoreFiles", 4,
     "usage: importTool --generateRestoreFiles <backupFilesFolder> <outputFolderForFiles> <collectionTypes> "
     "<maximumBackupFinalTimeUtc> [--parallelism N] [--config PATH]"},
    {command::export_raw, "exportRaw", 5,
     "usage: importTool -exportRaw <restoreFile> <connectionString> <databaseName> <collectionName> <partitionKey> "
     "[--ru-budget N] [--scale-throughput N] [--parallelism N] [--mode bulk|point] [--resume] [--dry-run] "
     "[--create-collection] [--config PATH]"},
    {command::list, "list", 1, "usage: importTool --list <folder> [--until T] [--config PATH]"},
    {command::verify, "verify", 1, "usage: importTool --verify <folder> [--parallelism N] [--config PATH]"},
    {command::compare, "compare", 5,
     "usage: importTool --compare <restoreFileOrFolder> <connectionString> <databaseName> <collectionName> "
     "<partitionKey> [--ru-budget N] [--parallelism N] [--config PATH]"},
}};

const command_spec& spec_of(command cmd) {
  for (const auto& s : commands) {
    if (s.cmd == cmd) return s;
  }
  return commands[0];
}

/// The options each command takes (besides --config, which all take).
bool takes(command cmd, std::string_view option) {
  using enum command;
  if (option == "config") return true;
  if (option == "parallelism") return cmd == generate_restore_files || cmd == export_raw || cmd == verify || cmd == compare;
  if (option == "ru-budget") return cmd == export_raw || cmd == compare;
  if (option == "until") return cmd == list;
  return cmd == export_raw &&
         (option == "scale-throughput" || option == "mode" || option == "resume" || option == "dry-run" ||
          option == "create-collection");
}

bool is_flag(std::string_view option) {
  return option == "resume" || option == "dry-run" || option == "create-collection";
}

constexpr std::array<std::string_view, 7> log_levels{"Trace", "Debug", "Information", "Warning",
                                                     "Error", "Critical", "None"};

std::optional<std::uint64_t> parse_unsigned(std::string_view text) {
  std::uint64_t value = 0;
  const auto* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || p != end || text.empty()) return std::nullopt;
  return value;
}

std::optional<double> parse_positive(std::string_view text) {
  double value = 0;
  const auto* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || p != end || text.empty() || !(value > 0) || value > 1e12) return std::nullopt;
  return value;
}

std::size_t parse_parallelism(command cmd, std::string_view text, std::string_view where) {
  auto value = parse_unsigned(text);
  if (!value || *value < 1 || *value > 1024) {
    throw usage_error(cmd, std::string(where) + ": expected a whole number from 1 to 1024, got '" + std::string(text) + "'");
  }
  return static_cast<std::size_t>(*value);
}

write_mode parse_mode(command cmd, std::string_view text, std::string_view where) {
  if (boost::iequals(text, "bulk")) return write_mode::bulk;
  if (boost::iequals(text, "point")) return write_mode::point;
  throw usage_error(cmd, std::string(where) + ": expected 'bulk' or 'point', got '" + std::string(text) + "'");
}

void apply_option(command cmd, std::string_view name, std::string_view value, command_line& line) {
  const std::string where = "--" + std::string(name);
  auto& o = line.opts;
  if (name == "ru-budget") {
    auto v = parse_positive(value);
    if (!v) throw usage_error(cmd, where + ": expected a positive number of RU/s, got '" + std::string(value) + "'");
    o.ru_budget = *v;
  } else if (name == "scale-throughput") {
    auto v = parse_unsigned(value);
    if (!v || *v < 400 || *v > 1'000'000) {
      throw usage_error(cmd, where + ": expected RU/s from 400 to 1000000, got '" + std::string(value) + "'");
    }
    o.scale_throughput = *v;
  } else if (name == "parallelism") {
    o.parallelism = parse_parallelism(cmd, value, where);
  } else if (name == "mode") {
    o.mode = parse_mode(cmd, value, where);
  } else if (name == "until") {
    auto t = parse_time_argument(value);
    if (!t) {
      throw usage_error(cmd, where + ": expected a UTC time like 2022-12-31T22:00:00, got '" + std::string(value) + "'");
    }
    line.time = *t;
  } else if (name == "resume") {
    o.resume = true;
  } else if (name == "dry-run") {
    o.dry_run = true;
  } else if (name == "create-collection") {
    o.create_collection = true;
  }
}

std::string read_config_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw command_error("--config " + path.string() + ": cannot be read", exit_usage);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw command_error("--config " + path.string() + ": cannot be read", exit_usage);
  return std::move(text).str();
}

[[noreturn]] void config_invalid(const std::string& file, std::string_view key, std::string_view expected) {
  throw command_error(file + ": " + std::string(key) + " " + std::string(expected), exit_usage);
}

}  // namespace

std::string_view usage_line(command cmd) { return spec_of(cmd).usage; }

std::string help_text() {
  std::string text =
      "importTool: turns IDABUS backup sets into restore files and imports them into Cosmos DB.\n\n";
  for (const auto& s : commands) {
    text += "  ";
    text += s.usage.substr(std::string_view("usage: ").size());
    text += '\n';
  }
  text +=
      "\nOptions:\n"
      "  --ru-budget N          cap the RU/s used (default: what the collection can take, from its offer)\n"
      "  --scale-throughput N   raise the collection's RU/s to N for the import, put the old value back after\n"
      "  --parallelism N        documents in flight / workers (1..1024)\n"
      "  --mode bulk|point      bulk requests (default), or point: one upsert request per document, same budget,\n"
      "                         order, retries and rejects (an account without the bulk endpoint, or one whose\n"
      "                         throttling profile suits small requests better)\n"
      "  --resume               continue a killed import from its checkpoint\n"
      "  --dry-run              print documents, bytes, estimated RU and time; write nothing\n"
      "  --create-collection    create the target collection if it is missing\n"
      "  --until T              --list: mark the backup sets a restore at T needs\n"
      "  --config PATH          appsettings.json: Logging.LogLevel.Default, ImportTool.{RuBudget,Parallelism,Mode}\n"
      "Times are UTC, e.g. 2022-12-31T22:00:00 (a trailing Z and fractions are accepted).\n\n"
      "Exit codes: 0 success, 1 failed (compare: different; verify: bad set), 2 usage, 3 partial (rejects),\n"
      "130 interrupted.\n";
  return text;
}

std::optional<io::files::utc_time> parse_time_argument(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text.back() == 'Z' || text.back() == 'z') text.remove_suffix(1);
  if (text.find_first_of("Zz") != std::string_view::npos) return std::nullopt;
  return io::files::parse_utc_time(std::string(text) + "Z");
}

void apply_config(std::string_view json_text, const std::string& file_name, options& opts) {
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(json_text);
  simdjson::dom::element root;
  if (auto error = parser.parse(padded).get(root)) {
    throw command_error(file_name + ": not valid JSON (" + simdjson::error_message(error) + ")", exit_usage);
  }
  if (!root.is_object()) config_invalid(file_name, "(root)", "must be a JSON object");
  simdjson::dom::element level;
  if (root.at_pointer("/Logging/LogLevel/Default").get(level) == simdjson::SUCCESS) {
    std::string_view name;
    bool known = false;
    if (level.get_string().get(name) == simdjson::SUCCESS) {
      for (auto l : log_levels) known = known || l == name;
    }
    if (!known) {
      config_invalid(file_name, "Logging.LogLevel.Default",
                     "must be one of Trace, Debug, Information, Warning, Error, Critical, None");
    }
    opts.log_level = std::string(name);
  }
  simdjson::dom::element section;
  if (root["ImportTool"].get(section) != simdjson::SUCCESS) return;
  if (!section.is_object()) config_invalid(file_name, "ImportTool", "must be an object");
  simdjson::dom::element value;
  if (section["RuBudget"].get(value) == simdjson::SUCCESS) {
    double v = 0;
    if (value.get_double().get(v) != simdjson::SUCCESS || !(v > 0) || v > 1e12) {
      config_invalid(file_name, "ImportTool.RuBudget", "must be a positive number of RU/s");
    }
    opts.ru_budget = v;
  }
  if (section["Parallelism"].get(value) == simdjson::SUCCESS) {
    std::uint64_t v = 0;
    if (value.get_uint64().get(v) != simdjson::SUCCESS || v < 1 || v > 1024) {
      config_invalid(file_name, "ImportTool.Parallelism", "must be a whole number from 1 to 1024");
    }
    opts.parallelism = static_cast<std::size_t>(v);
  }
  if (section["Mode"].get(value) == simdjson::SUCCESS) {
    std::string_view v;
    if (value.get_string().get(v) != simdjson::SUCCESS || !(boost::iequals(v, "bulk") || boost::iequals(v, "point"))) {
      config_invalid(file_name, "ImportTool.Mode", "must be \"bulk\" or \"point\"");
    }
    opts.mode = boost::iequals(v, "point") ? write_mode::point : write_mode::bulk;
  }
}

command_line parse_command_line(std::span<const std::string_view> args) {
  command_line line;
  if (args.empty()) throw usage_error(command::help, "no command given (try --help)");
  std::string_view first = args[0];
  std::string_view bare = first;
  while (!bare.empty() && bare.front() == '-') bare.remove_prefix(1);
  const bool dashed = bare.size() + 1 == first.size() || bare.size() + 2 == first.size();
  const command_spec* spec = nullptr;
  for (const auto& s : commands) {
    if (dashed && boost::iequals(bare, s.name)) spec = &s;
  }
  if (dashed && bare == "h") spec = &commands[0];
  if (spec == nullptr) {
    throw usage_error(command::help, "unknown command '" + std::string(first) +
                                         "' (expected --generateRestoreFiles, -exportRaw, --list, --verify, "
                                         "--compare or --help)");
  }
  line.cmd = spec->cmd;
  if (line.cmd == command::help) return line;

  // Options are collected first so that --config is applied before the command line's own values.
  std::vector<std::pair<std::string, std::string>> given;
  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (!arg.starts_with("--") || arg.size() == 2) {
      line.args.emplace_back(arg);
      continue;
    }
    std::string_view name = arg.substr(2);
    std::optional<std::string_view> value;
    if (auto eq = name.find('='); eq != std::string_view::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (!takes(line.cmd, name)) {
      throw usage_error(line.cmd, "option --" + std::string(name) + " is not known to " + std::string(first));
    }
    if (is_flag(name)) {
      if (value) throw usage_error(line.cmd, "option --" + std::string(name) + " takes no value");
      given.emplace_back(name, "");
      continue;
    }
    if (!value) {
      if (i + 1 >= args.size()) throw usage_error(line.cmd, "option --" + std::string(name) + " needs a value");
      value = args[++i];
    }
    given.emplace_back(name, *value);
  }
  if (line.args.size() != spec->arity) {
    throw usage_error(line.cmd, std::string(first) + " takes " + std::to_string(spec->arity) + " argument" +
                                    (spec->arity == 1 ? "" : "s") + ", got " + std::to_string(line.args.size()));
  }
  for (const auto& [name, value] : given) {
    if (name == "config") line.opts.config = std::filesystem::path(value);
  }
  if (line.opts.config) {
    apply_config(read_config_file(*line.opts.config), line.opts.config->string(), line.opts);
  }
  for (const auto& [name, value] : given) {
    if (name != "config") apply_option(line.cmd, name, value, line);
  }
  if (line.cmd == command::generate_restore_files) {
    line.time = parse_time_argument(line.args[3]);
    if (!line.time) {
      throw usage_error(line.cmd, "<maximumBackupFinalTimeUtc>: expected a UTC time like 2022-12-31T22:00:00, got '" +
                                      line.args[3] + "'");
    }
  }
  return line;
}

}  // namespace idabus::import_tool
