#include "tools/importTool/commands.hpp"

#include <exception>
#include <iostream>

namespace idabus::import_tool {

int import_tool_main(std::span<const std::string_view> args) {
  try {
    const command_line line = parse_command_line(args);
    switch (line.cmd) {
      case command::help:
        std::cout << help_text();
        return exit_success;
      case command::generate_restore_files:
        return run_generate_restore_files(line);
      case command::export_raw:
        return run_export_raw(line);
      case command::list:
        return run_list(line);
      case command::verify:
        return run_verify(line);
      case command::compare:
        return run_compare(line);
    }
    return exit_failed;
  } catch (const usage_error& e) {
    std::cerr << "importTool: " << e.what() << '\n' << usage_line(e.cmd()) << '\n';
    return exit_usage;
  } catch (const command_error& e) {
    std::cerr << "importTool: " << e.what() << '\n';
    return e.code();
  } catch (const std::exception& e) {
    std::cerr << "importTool: " << e.what() << '\n';
    return exit_failed;
  }
}

}  // namespace idabus::import_tool
