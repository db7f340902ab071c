#pragma once
// config: the engine's appsettings.json (DESIGN §4), read once at start.
// - Where: `--config PATH` when given, else appsettings.json next to the program, else in the
//   working directory (find_config_file).
// - Keys match case-insensitively (as .NET configuration binds them); unknown keys are ignored.
// - A value of the wrong type, or a required value that is missing, throws config_error whose
//   message starts with the key's path ("Backup.RuBudget: expected a number").
// - Secrets may come from the environment: IDABUS_COSMOS_CONNECTION_STRING replaces
//   CosmosDb.ConnectionString, IDABUS_API_KEYS (comma separated) replaces Api.ApiKeys. No message
//   of this module ever contains a secret's value.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace idabus::engine {

class config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct cosmos_settings {
  std::string connection_string;  ///< secret: never logged
  std::string database = "idabus";
  std::string resources = "Resources";
  std::string events = "Events";
  std::string workflow_executions = "WorkflowExecutions";
};

struct api_settings {
  std::string host = "127.0.0.1";  ///< from Api.Urls ("http://host:port"; port 0 = ephemeral)
  std::uint16_t port = 5000;
  std::vector<std::string> api_keys;  ///< secrets: never logged
  std::size_t body_limit = 1024 * 1024;
  std::size_t max_connections = 1024;        ///< Api.MaxConnections: more are answered 503
  std::size_t max_body_bytes_in_flight = 64u << 20;  ///< Api.MaxBodyBytesInFlight: bodies held at once
  int header_timeout_milliseconds = 10000;   ///< Api.HeaderTimeoutMilliseconds: a request head
  int body_timeout_milliseconds = 60000;     ///< Api.BodyTimeoutMilliseconds: a request body
};

struct backup_settings {
  std::vector<std::string> allowed_roots;
  double ru_budget = 5000;  ///< RU/s for the whole job; 0 = no client-side limit
  std::uint64_t chunk_bytes = 8ull * 1024 * 1024;  ///< Backup.ChunkBytes: as stages::backup_options
  /// Backup.ChunksInFlight: chunks the whole backup holds at once, all collections together
  /// (the memory bound of the chunks is this × chunk_bytes)
  std::size_t chunks_in_flight = 4;
  int compression_level = 3;
  int page_size = 1000;
  int max_read_only_seconds = 120;
  int margin_seconds = 2;            ///< widening of every _ts bound (DESIGN §6)
  int maintenance_wait_seconds = 60; ///< bound on waiting for running workflow steps
  int lease_seconds = 30;            ///< the backup lease expires this long after its last renewal
  int progress_seconds = 2;          ///< at most one progress write per this many seconds
};

struct engine_settings {
  int modes_cache_milliseconds = 1000;  ///< how long a process trusts its copy of the system modes
  int workflow_step_milliseconds = 200; ///< pause of the workflow runner between steps
};

struct config {
  cosmos_settings cosmos;
  api_settings api;
  backup_settings backup;
  engine_settings engine;
  std::string log_level = "Information";
};

/// Reads an environment variable; std::nullopt when unset. Injected so that tests need no setenv.
using env_lookup = std::function<std::optional<std::string>(std::string_view)>;
/// The process environment.
env_lookup process_environment();

/// Parses appsettings.json text. Throws config_error (see the file comment).
config parse_config(std::string_view json_text, const env_lookup& env);

/// The file to read: `explicit_path` when set (config_error if it does not exist), else
/// <program_dir>/appsettings.json, else <working_dir>/appsettings.json; config_error when none exists.
std::filesystem::path find_config_file(const std::optional<std::filesystem::path>& explicit_path,
                                       const std::filesystem::path& program_dir,
                                       const std::filesystem::path& working_dir);

/// Reads and parses a file (config_error naming the file when it cannot be read).
config load_config(const std::filesystem::path& file, const env_lookup& env);

}  // namespace idabus::engine
