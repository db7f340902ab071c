#pragma once
// metrics: the engine's counters, rendered as Prometheus text (GET /metrics): documents, bytes
// and RU backed up, throttled requests, phase durations, backups by outcome. Thread-safe
// (atomics); render() reads a consistent-enough snapshot for monitoring.

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace idabus::engine {

enum class backup_outcome { completed = 0, canceled = 1, failed = 2 };

class metrics {
 public:
  void add_backup_totals(std::uint64_t documents, std::uint64_t raw_bytes, std::uint64_t compressed_bytes,
                         double request_charge, std::uint64_t throttled);
  /// `phase`: 0 Basis .. 3 Finalizing.
  void add_phase_duration(int phase, double seconds);
  void count_backup(backup_outcome outcome);
  void count_request(unsigned status);

  std::string render() const;

 private:
  std::atomic<std::uint64_t> documents_{0}, raw_bytes_{0}, compressed_bytes_{0}, throttled_{0};
  std::atomic<std::uint64_t> request_charge_milli_{0};
  std::array<std::atomic<std::uint64_t>, 4> phase_milliseconds_{};
  std::array<std::atomic<std::uint64_t>, 3> backups_{};
  std::array<std::atomic<std::uint64_t>, 6> requests_by_class_{};  ///< index = status / 100
};

}  // namespace idabus::engine
