#include "tools/importTool/commands.hpp"

namespace idabus::import_tool {

// Placeholder until the command lands (see the README's Status table).
int run_list(const command_line&) { throw command_error("--list is not built yet"); }

}  // namespace idabus::import_tool
