#pragma once
// faults: seeded, reproducible fault injection for cosmos-emulator (--fault-429, --fault-503,
// --fault-reset, --seed). One std::mt19937_64 seeded with --seed draws one number per request,
// so the same seed and the same request order give the same faults. Each request gets at most one
// fault: 429 with probability p429, else 503 with p503, else a connection reset with p_reset.
// An injected 429 or 503 executes nothing. A reset executes the request and then cuts the
// response short (the client cannot know whether it was applied, as with a real network fault).
// Thread-safe (one mutex around the generator).

#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>

namespace idabus::emulator {

enum class fault {
  none,
  throttle,     ///< answer 429 + x-ms-retry-after-ms + x-ms-substatus 3200, execute nothing
  unavailable,  ///< answer 503, execute nothing
  reset,        ///< execute, then reset the connection mid-response
};

struct fault_options {
  double throttle_probability = 0;
  double unavailable_probability = 0;
  double reset_probability = 0;
  std::uint64_t seed = 1;
  std::chrono::milliseconds throttle_retry_after{50};  ///< x-ms-retry-after-ms of injected 429s
};

class fault_injector {
 public:
  explicit fault_injector(fault_options options);

  /// The fault for the next request (draws from the generator only when some probability > 0).
  fault next();

  /// True when no fault can ever be drawn.
  bool disabled() const noexcept;

  const fault_options& options() const noexcept { return options_; }

 private:
  fault_options options_;
  std::mutex mutex_;
  std::mt19937_64 generator_;
};

}  // namespace idabus::emulator
