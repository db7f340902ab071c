#pragma once
// faults: seeded, reproducible fault injection for cosmos-emulator (--fault-429, --fault-503,
// --fault-reset, --seed, --fault-only, --fault-limit). One std::mt19937_64 seeded with --seed
// draws one number per request, so the same seed and the same request order give the same faults.
// Each request gets at most one fault: 429 with probability p429, else 503 with p503, else a
// connection reset with p_reset. Aiming (for tests that need one fault on one kind of request):
// with --fault-only, only requests whose "<METHOD> <path>" starts with that text draw (the others
// get none and leave the generator alone); with --fault-limit N, no fault after the N-th.
// An injected 429 or 503 executes nothing. A reset executes the request and then cuts the
// response short (the client cannot know whether it was applied, as with a real network fault).
// Thread-safe (one mutex around the generator).

#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <string_view>

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
  /// Only requests whose "<METHOD> <path>" starts with this draw a fault ("" = every request).
  std::string only;
  /// No fault after this many (0 = no limit).
  std::uint64_t limit = 0;
};

class fault_injector {
 public:
  explicit fault_injector(fault_options options);

  /// The fault for the next request (draws from the generator only when some probability > 0,
  /// "<method> <path>" starts with options().only and the limit is not reached).
  fault next(std::string_view method = {}, std::string_view path = {});

  /// True when no fault can ever be drawn.
  bool disabled() const noexcept;

  const fault_options& options() const noexcept { return options_; }

 private:
  fault_options options_;
  std::mutex mutex_;
  std::mt19937_64 generator_;
  std::uint64_t injected_ = 0;
};

}  // namespace idabus::emulator
