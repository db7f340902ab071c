#pragma once
// options: the command line of tenant-gen (DESIGN §12).
//   tenant-gen <connectionString> <database> --documents N [--seed S] [--ru-budget R]
//              [--throughput T] [--writers K] [--batch B]
// Each option takes its value as the next argument or after '=' (--seed=7). Parsing never
// throws: a bad command line comes back as one line naming the option (or argument) and what
// was expected, and the program exits with code 2. The error never contains the account key.

#include "io/cosmos/connection_string.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace idabus::tenant_gen {

struct tenant_options {
  io::cosmos::connection_string connection;
  std::string database;
  std::uint64_t documents = 0;       ///< --documents, required, >= 1
  std::uint64_t seed = 1;            ///< --seed
  double ru_budget = 0;              ///< --ru-budget RU/s; 0 = no client-side limit
  std::optional<int> throughput;     ///< --throughput: x-ms-offer-throughput on create (>= 400)
  std::size_t writers = 2;           ///< --writers: bulk requests in flight per partition key range (1..256)
  std::size_t batch = 100;           ///< --batch: at most this many operations per bulk request (1..100)
  std::size_t channel_capacity = 256;  ///< documents queued per lane (and generator → router)
};

struct options_result {
  std::optional<tenant_options> options;  ///< set on success
  std::string error;                      ///< one line: the option and what was expected
  bool help = false;                      ///< --help / -h was given
};

/// Parses argv[1..] (without the program name).
options_result parse_options(std::span<const std::string_view> args);

/// The usage text printed for --help.
std::string usage();

}  // namespace idabus::tenant_gen
