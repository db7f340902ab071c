#include "tools/cosmos-emulator/faults.hpp"

namespace idabus::emulator {

fault_injector::fault_injector(fault_options options) : options_(options), generator_(options.seed) {}

bool fault_injector::disabled() const noexcept {
  return options_.throttle_probability <= 0 && options_.unavailable_probability <= 0 &&
         options_.reset_probability <= 0;
}

fault fault_injector::next() {
  if (disabled()) return fault::none;
  double u = 0;
  {
    std::lock_guard lock(mutex_);
    // 53 random bits -> [0, 1): independent of the standard library's distribution algorithms,
    // so a seed gives the same faults with every toolchain.
    u = static_cast<double>(generator_() >> 11) * 0x1.0p-53;
  }
  double edge = options_.throttle_probability;
  if (u < edge) return fault::throttle;
  edge += options_.unavailable_probability;
  if (u < edge) return fault::unavailable;
  edge += options_.reset_probability;
  if (u < edge) return fault::reset;
  return fault::none;
}

}  // namespace idabus::emulator
