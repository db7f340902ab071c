#pragma once
// temp_dir: a fresh directory under the system temp dir, removed with everything in it on
// destruction. Shared by the emulator's persistence tests.

#include <filesystem>
#include <random>
#include <string>
#include <system_error>

namespace idabus::emulator {

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    std::random_device rd;
    path = std::filesystem::temp_directory_path() / ("emucore-persist-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

}  // namespace idabus::emulator
