#include "tools/cosmos-emulator/faults.hpp"

#include <string>
#include <utility>

namespace idabus::emulator {

fault_injector::fault_injector(fault_options options) : options_(std::move(options)), generator_(options_.seed) {}

bool fault_injector::disabled() const noexcept {
  return options_.throttle_probability <= 0 && options_.unavailable_probability <= 0 &&
         options_.reset_probability <= 0;
}

fault fault_injector::next(std::string_view method, std::string_view path) {
  if (disabled()) return fault::none;
  if (!options_.only.empty() && !(std::string(method) + " " + std::string(path)).starts_with(options_.only)) {
    return fault::none;
  }
  std::lock_guard lock(mutex_);
  if (options_.limit != 0 && injected_ >= options_.limit) return fault::none;
  // 53 random bits -> [0, 1): independent of the standard library's distribution algorithms,
  // so a seed gives the same faults with every toolchain.
  const double u = static_cast<double>(generator_() >> 11) * 0x1.0p-53;
  const double to_503 = options_.throttle_probability + options_.unavailable_probability;
  const fault f = u < options_.throttle_probability             ? fault::throttle
                  : u < to_503                                   ? fault::unavailable
                  : u < to_503 + options_.reset_probability      ? fault::reset
                                                                 : fault::none;
  if (f != fault::none) ++injected_;
  return f;
}

}  // namespace idabus::emulator
