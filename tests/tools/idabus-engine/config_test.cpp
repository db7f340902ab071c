#include "tools/idabus-engine/config.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

namespace idabus::engine {
namespace {

env_lookup env_of(std::map<std::string, std::string> vars) {
  return [vars](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

const std::string minimal = R"({
  "CosmosDb": {"ConnectionString": "AccountEndpoint=http://127.0.0.1:8081/;AccountKey=a2V5;", "DatabaseName": "db"},
  "Api": {"Urls": "http://127.0.0.1:5123", "ApiKeys": ["k1", "k2"]},
  "Backup": {"AllowedRoots": ["/var/backups"]}
})";

std::string config_error_of(std::string_view text, std::map<std::string, std::string> env = {}) {
  try {
    parse_config(text, env_of(std::move(env)));
  } catch (const config_error& e) {
    return e.what();
  }
  return "<no error>";
}

TEST(Config, ReadsTheDesignExample) {
  const auto c = parse_config(R"({
    "CosmosDb": {"ConnectionString": "AccountEndpoint=http://h:1/;AccountKey=a2V5;", "DatabaseName": "idabus",
      "Collections": {"Resources": "R", "Events": "E", "WorkflowExecutions": "W"}},
    "Api": {"Urls": "http://127.0.0.1:5000", "ApiKeys": ["secret"]},
    "Backup": {"AllowedRoots": ["/var/backups/idabus"], "RuBudget": 5000, "ChunkBytes": 67108864,
      "ChunksInFlight": 6, "CompressionLevel": 3, "PageSize": 1000, "MaxReadOnlySeconds": 120},
    "Logging": {"LogLevel": {"Default": "Warning"}}
  })", env_of({}));
  EXPECT_EQ(c.cosmos.database, "idabus");
  EXPECT_EQ(c.cosmos.resources, "R");
  EXPECT_EQ(c.cosmos.events, "E");
  EXPECT_EQ(c.cosmos.workflow_executions, "W");
  EXPECT_EQ(c.api.host, "127.0.0.1");
  EXPECT_EQ(c.api.port, 5000);
  EXPECT_EQ(c.api.api_keys, std::vector<std::string>{"secret"});
  EXPECT_EQ(c.backup.allowed_roots, std::vector<std::string>{"/var/backups/idabus"});
  EXPECT_EQ(c.backup.ru_budget, 5000);
  EXPECT_EQ(c.backup.chunk_bytes, 67108864u);
  EXPECT_EQ(c.backup.chunks_in_flight, 6u);
  EXPECT_EQ(c.backup.page_size, 1000);
  EXPECT_EQ(c.backup.max_read_only_seconds, 120);
  EXPECT_EQ(c.log_level, "Warning");
}

TEST(Config, KeysMatchCaseInsensitivelyAndUnknownKeysAreIgnored) {
  const auto c = parse_config(R"({"cosmosdb": {"connectionstring": "x", "NewThing": 1},
    "API": {"apikeys": ["k"], "urls": "http://127.0.0.1:0"}, "backup": {"allowedroots": ["/b"], "rubudget": 0},
    "Unrelated": {"deep": [1, 2]}})", env_of({}));
  EXPECT_EQ(c.cosmos.connection_string, "x");
  EXPECT_EQ(c.api.port, 0);
  EXPECT_EQ(c.backup.ru_budget, 0);
}

TEST(Config, WrongTypesNameTheKeyPath) {
  EXPECT_EQ(config_error_of(R"({"CosmosDb": {"ConnectionString": "x"}, "Api": {"ApiKeys": ["k"]},
    "Backup": {"AllowedRoots": ["/b"], "RuBudget": "fast"}})"), "Backup.RuBudget: expected a number");
  EXPECT_EQ(config_error_of(R"({"CosmosDb": {"ConnectionString": 5}, "Api": {"ApiKeys": ["k"]}, "Backup": {"AllowedRoots": ["/b"]}})"),
            "CosmosDb.ConnectionString: expected a string");
  EXPECT_EQ(config_error_of(R"({"CosmosDb": {"ConnectionString": "x"}, "Api": {"ApiKeys": ["k", 7]}, "Backup": {"AllowedRoots": ["/b"]}})"),
            "Api.ApiKeys[1]: expected a string");
  EXPECT_EQ(config_error_of(R"({"CosmosDb": {"ConnectionString": "x"}, "Api": {"ApiKeys": ["k"]},
    "Backup": {"AllowedRoots": ["/b"], "PageSize": 2.5}})"), "Backup.PageSize: expected a whole number");
  EXPECT_NE(config_error_of(R"({"CosmosDb": {"ConnectionString": "x"}, "Api": {"ApiKeys": ["k"]},
    "Backup": {"AllowedRoots": ["/b"], "ChunksInFlight": 0}})").find("Backup.ChunksInFlight"), std::string::npos);
  EXPECT_EQ(config_error_of(R"({"CosmosDb": {"ConnectionString": "x"}, "Api": {"ApiKeys": ["k"], "Urls": "ftp://x"},
    "Backup": {"AllowedRoots": ["/b"]}})"), "Api.Urls: expected a URL like http://127.0.0.1:5000");
  EXPECT_EQ(config_error_of(R"({"CosmosDb": [], "Api": {"ApiKeys": ["k"]}, "Backup": {"AllowedRoots": ["/b"]}})"),
            "CosmosDb: expected an object");
}

TEST(Config, MissingRequiredValuesNameTheKey) {
  EXPECT_EQ(config_error_of(R"({"Api": {"ApiKeys": ["k"]}, "Backup": {"AllowedRoots": ["/b"]}})"),
            "CosmosDb.ConnectionString: required (or set IDABUS_COSMOS_CONNECTION_STRING)");
  EXPECT_EQ(config_error_of(R"({"CosmosDb": {"ConnectionString": "x"}, "Backup": {"AllowedRoots": ["/b"]}})"),
            "Api.ApiKeys: required, at least one key (or set IDABUS_API_KEYS)");
  EXPECT_EQ(config_error_of(R"({"CosmosDb": {"ConnectionString": "x"}, "Api": {"ApiKeys": ["k"]}})"),
            "Backup.AllowedRoots: required, at least one folder");
  EXPECT_EQ(config_error_of(R"({"CosmosDb": {"ConnectionString": "x"}, "Api": {"ApiKeys": ["k"]}, "Backup": {"AllowedRoots": ["rel"]}})"),
            "Backup.AllowedRoots[0]: expected an absolute path");
  EXPECT_NE(config_error_of("{not json").find("appsettings.json: not valid JSON"), std::string::npos);
}

TEST(Config, SecretsComeFromTheEnvironmentAndNeverAppearInErrors) {
  const auto c = parse_config(R"({"Backup": {"AllowedRoots": ["/b"]}})",
                              env_of({{"IDABUS_COSMOS_CONNECTION_STRING", "AccountEndpoint=http://e/;AccountKey=c2VjcmV0;"},
                                      {"IDABUS_API_KEYS", "one, two;three"}}));
  EXPECT_EQ(c.cosmos.connection_string, "AccountEndpoint=http://e/;AccountKey=c2VjcmV0;");
  EXPECT_EQ(c.api.api_keys, (std::vector<std::string>{"one", "two", "three"}));
  const auto e = config_error_of(R"({"Backup": {"AllowedRoots": [7]}})",
                          {{"IDABUS_COSMOS_CONNECTION_STRING", "AccountKey=c2VjcmV0"}, {"IDABUS_API_KEYS", "topsecret"}});
  EXPECT_EQ(e, "Backup.AllowedRoots[0]: expected a string");
  EXPECT_EQ(e.find("c2VjcmV0"), std::string::npos);
  EXPECT_EQ(e.find("topsecret"), std::string::npos);
}

TEST(Config, FindsTheFileByFlagThenProgramDirThenWorkingDir) {
  const auto root = std::filesystem::temp_directory_path() / ("engine-config-" + std::to_string(::getpid()));
  std::filesystem::remove_all(root);
  std::filesystem::create_directories(root / "prog");
  std::filesystem::create_directories(root / "cwd");
  std::ofstream(root / "cwd" / "appsettings.json") << minimal;
  EXPECT_EQ(find_config_file(std::nullopt, root / "prog", root / "cwd"), root / "cwd" / "appsettings.json");
  std::ofstream(root / "prog" / "appsettings.json") << minimal;
  EXPECT_EQ(find_config_file(std::nullopt, root / "prog", root / "cwd"), root / "prog" / "appsettings.json");
  EXPECT_EQ(find_config_file(root / "cwd" / "appsettings.json", root / "prog", root / "cwd"), root / "cwd" / "appsettings.json");
  EXPECT_THROW(find_config_file(root / "none.json", root / "prog", root / "cwd"), config_error);
  std::filesystem::remove_all(root / "prog");
  std::filesystem::remove_all(root / "cwd");
  EXPECT_THROW(find_config_file(std::nullopt, root / "prog", root / "cwd"), config_error);
  std::filesystem::create_directories(root);
  std::ofstream(root / "a.json") << minimal;
  EXPECT_EQ(load_config(root / "a.json", env_of({})).api.port, 5123);
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace idabus::engine
