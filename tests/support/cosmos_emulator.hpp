#pragma once
// cosmos_emulator: the project's cosmos-emulator as a child process of a test or a benchmark, on
// 127.0.0.1 with an ephemeral port (child_process: always stopped, SIGTERM then SIGKILL, when the
// object goes away), and the connection strings that reach it.
// Header-only, like child_process.

#include "support/child_process.hpp"

#include <string>
#include <utility>
#include <vector>

namespace idabus::test {

/// The public key of the Azure Cosmos DB emulator; cosmos-emulator uses it unless --key is given.
inline const std::string emulator_key =
    "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==";

/// "AccountEndpoint=<url>/;AccountKey=<key>;" plus `extra` (e.g. "DisableServerCertificateValidation=True;").
inline std::string connection_string_for(const std::string& url, const std::string& key = emulator_key,
                                         const std::string& extra = {}) {
  return "AccountEndpoint=" + url + "/;AccountKey=" + key + ";" + extra;
}

struct cosmos_emulator {
  /// Starts `program` (cosmos-emulator's path) with --port 0 and `extra` arguments and waits for
  /// the line that names its URL.
  explicit cosmos_emulator(const std::string& program, std::vector<std::string> extra = {})
      : process(command(program, std::move(extra))), url(process.wait_for_line("listening on ")) {}

  std::string connection(const std::string& key = emulator_key, const std::string& extra = {}) const {
    return connection_string_for(url, key, extra);
  }

  child_process process;
  std::string url;

 private:
  static std::vector<std::string> command(const std::string& program, std::vector<std::string> extra) {
    std::vector<std::string> argv{program, "--port", "0"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }
};

}  // namespace idabus::test
