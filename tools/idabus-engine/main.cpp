// idabus-engine: the engine host with the Backup API (DESIGN §4-§7), backing up through the
// streaming pipeline (pipeline_pass). Wiring only; see engine.hpp.

#include "tools/idabus-engine/engine.hpp"

#include <iostream>
#include <string_view>
#include <vector>

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  const auto program_dir = std::filesystem::absolute(std::filesystem::path(argv[0])).parent_path();
  return idabus::engine::engine_main(args, program_dir, std::cout, std::cerr);
}
