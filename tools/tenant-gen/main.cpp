// tenant-gen: writes a deterministic IDABUS tenant into a Cosmos DB account (DESIGN §12).
// Wiring only; see tenant_gen.hpp for the pipeline and the exit codes.

#include "tools/tenant-gen/tenant_gen.hpp"

#include <iostream>
#include <string_view>
#include <vector>

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  return idabus::tenant_gen::tenant_gen_main(args, std::cout, std::cerr);
}
