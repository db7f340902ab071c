#pragma once
// options: the command line of cosmos-emulator (DESIGN §11).
//   cosmos-emulator [--host 127.0.0.1] [--port 8081] [--key <base64>] [--tls-cert F --tls-key F]
//                   [--partitions 4] [--ru-per-second N] [--data-dir D] [--latency-ms N]
//                   [--fault-429 P] [--fault-503 P] [--fault-reset P] [--seed S]
//                   [--fault-only "METHOD /path-prefix"] [--fault-limit N] [--threads N]
// Each option takes its value as the next argument or after '=' (--port=0). Parsing never throws:
// a bad command line comes back as one line naming the option and what was expected, and the
// program exits with code 2.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace idabus::emulator {

/// The well-known key of the Azure Cosmos DB emulator (public, not a secret).
inline constexpr std::string_view public_emulator_key =
    "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==";

struct emulator_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8081;
  std::string key = std::string(public_emulator_key);  ///< base64 master key as given
  std::string decoded_key;                              ///< the key's bytes (HMAC key)
  std::string tls_cert;                                 ///< both set = HTTPS
  std::string tls_key;
  std::uint32_t partitions = 4;
  double ru_per_second = 0;  ///< default RU/s of new collections; 0 = unlimited
  std::string data_dir;      ///< empty = memory only
  std::uint32_t latency_ms = 0;
  double fault_429 = 0;
  double fault_503 = 0;
  double fault_reset = 0;
  std::uint64_t seed = 1;
  std::string fault_only;        ///< faults only for requests whose "<METHOD> <path>" starts with it
  std::uint64_t fault_limit = 0;  ///< no fault after this many (0 = no limit)
  std::uint32_t threads = 2;
};

struct options_result {
  std::optional<emulator_options> options;  ///< set on success
  std::string error;                        ///< one line: the option and what was expected
  bool help = false;                        ///< --help / -h was given
};

/// Parses argv[1..] (without the program name).
options_result parse_options(std::span<const std::string_view> args);

/// The usage text printed for --help.
std::string usage();

}  // namespace idabus::emulator
