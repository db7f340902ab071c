// importTool: restore files from backup sets, and their import into Cosmos DB (DESIGN §8).
// Wiring only; see commands.hpp.

#include "tools/importTool/commands.hpp"

#include <string_view>
#include <vector>

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  return idabus::import_tool::import_tool_main(args);
}
