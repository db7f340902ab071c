#include "tools/idabus-engine/config.hpp"

#include "io/http/message.hpp"
#include "io/http/url.hpp"

#include <simdjson.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>

namespace idabus::engine {

namespace {

namespace dom = simdjson::dom;

/// A JSON node with the path that reached it, for messages.
struct node {
  dom::element value;
  std::string path;
};

[[noreturn]] void fail(const std::string& path, std::string_view what) {
  throw config_error(path + ": " + std::string(what));
}

/// The member `key` of an object, matched case-insensitively; std::nullopt when absent or null.
std::optional<node> member(const node& parent, std::string_view key) {
  dom::object object;
  if (parent.value.get_object().get(object)) fail(parent.path, "expected an object");
  for (auto field : object) {
    if (io::http::iequals(field.key, key)) {
      if (field.value.is_null()) return std::nullopt;
      return node{field.value, parent.path.empty() ? std::string(key) : parent.path + "." + std::string(key)};
    }
  }
  return std::nullopt;
}

std::string as_string(const node& n) {
  std::string_view s;
  if (n.value.get_string().get(s)) fail(n.path, "expected a string");
  return std::string(s);
}

double as_number(const node& n) {
  double d;
  if (n.value.get_double().get(d)) fail(n.path, "expected a number");
  return d;
}

std::int64_t as_integer(const node& n, std::int64_t min, std::int64_t max) {
  const double d = as_number(n);
  if (d != std::floor(d)) fail(n.path, "expected a whole number");
  if (d < static_cast<double>(min) || d > static_cast<double>(max)) {
    fail(n.path, "expected a number from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return static_cast<std::int64_t>(d);
}

std::vector<std::string> as_string_list(const node& n) {
  dom::array array;
  if (n.value.get_array().get(array)) fail(n.path, "expected an array of strings");
  std::vector<std::string> out;
  std::size_t i = 0;
  for (auto item : array) {
    out.push_back(as_string(node{item, n.path + "[" + std::to_string(i++) + "]"}));
  }
  return out;
}

template <class T, class Read>
void read_optional(const std::optional<node>& parent, std::string_view key, T& target, Read read) {
  if (!parent) return;
  if (auto n = member(*parent, key)) target = read(*n);
}

std::vector<std::string> split_keys(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = std::min(text.find_first_of(",;", start), text.size());
    auto part = text.substr(start, end - start);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) out.emplace_back(part);
    start = end + 1;
  }
  return out;
}

void read_urls(const node& n, api_settings& api) {
  auto text = as_string(n);
  if (text.find(';') != std::string::npos) fail(n.path, "expected one URL (several are not supported)");
  // parse_url wants ports 1-65535; ":0" (an ephemeral port, for tests) is accepted here.
  bool ephemeral = false;
  for (std::string_view suffix : {":0", ":0/"}) {
    if (text.size() > suffix.size() && text.ends_with(suffix)) {
      text.replace(text.size() - suffix.size(), suffix.size(), ":1");
      ephemeral = true;
    }
  }
  io::http::url url;
  try {
    url = io::http::parse_url(text);
  } catch (const std::invalid_argument&) {
    fail(n.path, "expected a URL like http://127.0.0.1:5000");
  }
  if (url.scheme != io::http::url_scheme::http) fail(n.path, "expected an http:// URL (TLS is not supported)");
  if (url.target != "/" && !url.target.empty()) fail(n.path, "expected no path in the URL");
  api.host = url.host;
  api.port = ephemeral ? 0 : url.port;
}

}  // namespace

env_lookup process_environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

config parse_config(std::string_view json_text, const env_lookup& env) {
  dom::parser parser;
  const simdjson::padded_string padded(json_text);
  dom::element root;
  if (auto error = parser.parse(padded).get(root)) {
    throw config_error(std::string("appsettings.json: not valid JSON (") + simdjson::error_message(error) + ")");
  }
  const node top{root, ""};
  if (!root.is_object()) throw config_error("appsettings.json: expected an object at the top level");
  config c;
  constexpr auto int_max = std::numeric_limits<int>::max();

  const auto cosmos = member(top, "CosmosDb");
  read_optional(cosmos, "ConnectionString", c.cosmos.connection_string, as_string);
  read_optional(cosmos, "DatabaseName", c.cosmos.database, as_string);
  const auto collections = cosmos ? member(*cosmos, "Collections") : std::nullopt;
  read_optional(collections, "Resources", c.cosmos.resources, as_string);
  read_optional(collections, "Events", c.cosmos.events, as_string);
  read_optional(collections, "WorkflowExecutions", c.cosmos.workflow_executions, as_string);

  const auto api = member(top, "Api");
  if (api) {
    if (auto urls = member(*api, "Urls")) read_urls(*urls, c.api);
  }
  read_optional(api, "ApiKeys", c.api.api_keys, as_string_list);
  read_optional(api, "MaxConnections", c.api.max_connections,
                [](const node& n) { return static_cast<std::size_t>(as_integer(n, 1, 1000000)); });
  read_optional(api, "MaxBodyBytesInFlight", c.api.max_body_bytes_in_flight,
                [](const node& n) { return static_cast<std::size_t>(as_integer(n, 1024 * 1024, std::int64_t{1} << 40)); });
  read_optional(api, "HeaderTimeoutMilliseconds", c.api.header_timeout_milliseconds,
                [](const node& n) { return static_cast<int>(as_integer(n, 1, 3600000)); });
  read_optional(api, "BodyTimeoutMilliseconds", c.api.body_timeout_milliseconds,
                [](const node& n) { return static_cast<int>(as_integer(n, 1, 3600000)); });

  const auto backup = member(top, "Backup");
  auto integer = [](std::int64_t min, std::int64_t max) {
    return [min, max](const node& n) { return as_integer(n, min, max); };
  };
  read_optional(backup, "AllowedRoots", c.backup.allowed_roots, as_string_list);
  read_optional(backup, "RuBudget", c.backup.ru_budget, [](const node& n) {
    const double d = as_number(n);
    if (d < 0) fail(n.path, "expected a number >= 0");
    return d;
  });
  read_optional(backup, "ChunkBytes", c.backup.chunk_bytes,
                [](const node& n) { return static_cast<std::uint64_t>(as_integer(n, 4096, std::int64_t(1) << 40)); });
  read_optional(backup, "ChunksInFlight", c.backup.chunks_in_flight,
                [&](const node& n) { return static_cast<std::size_t>(integer(1, 1024)(n)); });
  read_optional(backup, "CompressionLevel", c.backup.compression_level,
                [&](const node& n) { return static_cast<int>(integer(1, 22)(n)); });
  read_optional(backup, "PageSize", c.backup.page_size, [&](const node& n) { return static_cast<int>(integer(1, 100000)(n)); });
  read_optional(backup, "MaxReadOnlySeconds", c.backup.max_read_only_seconds,
                [&](const node& n) { return static_cast<int>(integer(1, int_max)(n)); });
  read_optional(backup, "MarginSeconds", c.backup.margin_seconds, [&](const node& n) { return static_cast<int>(integer(0, 3600)(n)); });
  read_optional(backup, "MaintenanceWaitSeconds", c.backup.maintenance_wait_seconds,
                [&](const node& n) { return static_cast<int>(integer(0, int_max)(n)); });
  read_optional(backup, "LeaseSeconds", c.backup.lease_seconds, [&](const node& n) { return static_cast<int>(integer(3, 3600)(n)); });
  read_optional(backup, "ProgressSeconds", c.backup.progress_seconds, [&](const node& n) { return static_cast<int>(integer(0, 3600)(n)); });

  const auto engine = member(top, "Engine");
  read_optional(engine, "ModesCacheMilliseconds", c.engine.modes_cache_milliseconds,
                [&](const node& n) { return static_cast<int>(integer(0, 60000)(n)); });
  read_optional(engine, "WorkflowStepMilliseconds", c.engine.workflow_step_milliseconds,
                [&](const node& n) { return static_cast<int>(integer(0, 60000)(n)); });

  const auto logging = member(top, "Logging");
  const auto log_level = logging ? member(*logging, "LogLevel") : std::nullopt;
  read_optional(log_level, "Default", c.log_level, as_string);

  if (auto v = env("IDABUS_COSMOS_CONNECTION_STRING"); v && !v->empty()) c.cosmos.connection_string = *v;
  if (auto v = env("IDABUS_API_KEYS"); v && !v->empty()) c.api.api_keys = split_keys(*v);

  if (c.cosmos.connection_string.empty()) {
    throw config_error("CosmosDb.ConnectionString: required (or set IDABUS_COSMOS_CONNECTION_STRING)");
  }
  if (c.cosmos.database.empty()) throw config_error("CosmosDb.DatabaseName: required");
  if (c.api.api_keys.empty()) throw config_error("Api.ApiKeys: required, at least one key (or set IDABUS_API_KEYS)");
  for (std::size_t i = 0; i < c.api.api_keys.size(); ++i) {
    if (c.api.api_keys[i].empty()) throw config_error("Api.ApiKeys[" + std::to_string(i) + "]: expected a non-empty key");
  }
  if (c.backup.allowed_roots.empty()) throw config_error("Backup.AllowedRoots: required, at least one folder");
  for (std::size_t i = 0; i < c.backup.allowed_roots.size(); ++i) {
    if (!std::filesystem::path(c.backup.allowed_roots[i]).is_absolute()) {
      throw config_error("Backup.AllowedRoots[" + std::to_string(i) + "]: expected an absolute path");
    }
  }
  return c;
}

std::filesystem::path find_config_file(const std::optional<std::filesystem::path>& explicit_path,
                                       const std::filesystem::path& program_dir,
                                       const std::filesystem::path& working_dir) {
  if (explicit_path) {
    if (!std::filesystem::is_regular_file(*explicit_path)) {
      throw config_error("--config: no such file: " + explicit_path->string());
    }
    return *explicit_path;
  }
  for (const auto& dir : {program_dir, working_dir}) {
    const auto candidate = dir / "appsettings.json";
    if (std::filesystem::is_regular_file(candidate)) return candidate;
  }
  throw config_error("appsettings.json: not found next to the program (" + program_dir.string() +
                     ") nor in the working directory (" + working_dir.string() + "); use --config PATH");
}

config load_config(const std::filesystem::path& file, const env_lookup& env) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw config_error(file.string() + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), env);
}

}  // namespace idabus::engine
