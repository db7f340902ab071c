#pragma once
// bench_options: the command line of the benchmarks that start cosmos-emulator themselves
// (bench_write, bench_restore, bench_emulator): "--name value" pairs, every value checked, and
// cosmos-emulator taken from next to the benchmark's own binary unless --emulator names one.
// Header-only: each benchmark is one source file.

#include "support/child_process.hpp"

#include <charconv>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace idabus::bench {

/// One "--name value" option; `set` throws std::exception (its what() says why) for a value it
/// does not take.
struct option {
  std::string_view name;
  std::function<void(std::string_view)> set;
};

/// `text` as a number > 0 (all of it), else throws std::invalid_argument.
inline double positive_number(std::string_view text) {
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || !(v > 0)) {
    throw std::invalid_argument("expected a positive number, got '" + std::string(text) + "'");
  }
  return v;
}

/// `text` as a whole number > 0 (all of it), else throws std::invalid_argument.
inline std::uint64_t positive_count(std::string_view text) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || v == 0) {
    throw std::invalid_argument("expected a positive integer, got '" + std::string(text) + "'");
  }
  return v;
}

/// Parses argv[1..] as "--name value" pairs into `options`. A missing value, an unknown name or a
/// value refused by its option prints "<program>: <name>: <why>" and `usage` to stderr and
/// returns false (the benchmark exits with 2).
inline bool parse_options(int argc, char** argv, std::string_view program, std::string_view usage,
                          const std::vector<option>& options) {
  for (int i = 1; i < argc; i += 2) {
    const std::string_view name = argv[i];
    std::string why;
    if (i + 1 >= argc) {
      why = "missing value";
    } else {
      why = "unknown option";
      for (const auto& o : options) {
        if (o.name != name) continue;
        try {
          o.set(argv[i + 1]);
          why.clear();
        } catch (const std::exception& e) {
          why = e.what();
        }
        break;
      }
    }
    if (!why.empty()) {
      std::cerr << program << ": " << name << ": " << why << "\n" << usage << "\n";
      return false;
    }
  }
  return true;
}

/// cosmos-emulator in the same folder as the running benchmark.
inline std::string emulator_next_to_this_program() { return test::program_path("cosmos-emulator"); }

}  // namespace idabus::bench
