// idabus-engine: the engine host with the Backup API (DESIGN §4-§6). Wiring only; see engine.hpp.

#include "tools/idabus-engine/engine.hpp"

#include <iostream>
#include <stdexcept>
#include <string_view>
#include <vector>

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  const auto program_dir = std::filesystem::absolute(std::filesystem::path(argv[0])).parent_path();
  // The streaming backup pipeline (stages/build_backup) is wired here once it is on main; until
  // then a backup started through the API fails in Basis with this message, and the phases,
  // modes, lease and event behave as specified around it.
  idabus::engine::backup_pass pass = [](idabus::engine::pass_request, idabus::engine::pass_progress*)
      -> boost::asio::awaitable<idabus::engine::pass_result> {
    throw std::runtime_error("this build has no backup pipeline (stages/build_backup) wired in yet");
    co_return idabus::engine::pass_result{};
  };
  return idabus::engine::engine_main(args, program_dir, std::cout, std::cerr, std::move(pass));
}
