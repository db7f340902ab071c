#include "tools/idabus-engine/metrics.hpp"

#include <cstdio>

namespace idabus::engine {

namespace {

void family(std::string& out, const char* name, const char* type, const char* help) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

std::string fixed3(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

}  // namespace

void metrics::add_backup_totals(std::uint64_t documents, std::uint64_t raw_bytes, std::uint64_t compressed_bytes,
                                double request_charge, std::uint64_t throttled) {
  documents_ += documents;
  raw_bytes_ += raw_bytes;
  compressed_bytes_ += compressed_bytes;
  request_charge_milli_ += static_cast<std::uint64_t>(request_charge * 1000 + 0.5);
  throttled_ += throttled;
}

void metrics::add_phase_duration(int phase, double seconds) {
  phase_milliseconds_.at(static_cast<std::size_t>(phase)) += static_cast<std::uint64_t>(seconds * 1000 + 0.5);
}

void metrics::count_backup(backup_outcome outcome) { ++backups_.at(static_cast<std::size_t>(outcome)); }

void metrics::count_request(unsigned status) {
  const auto c = status / 100;
  if (c < requests_by_class_.size()) ++requests_by_class_[c];
}

std::string metrics::render() const {
  std::string out;
  family(out, "idabus_backup_documents_total", "counter", "Documents written to backup sets.");
  out += "idabus_backup_documents_total " + std::to_string(documents_.load()) + "\n";
  family(out, "idabus_backup_raw_bytes_total", "counter", "Uncompressed bytes written to backup sets.");
  out += "idabus_backup_raw_bytes_total " + std::to_string(raw_bytes_.load()) + "\n";
  family(out, "idabus_backup_compressed_bytes_total", "counter", "Compressed bytes written to backup sets.");
  out += "idabus_backup_compressed_bytes_total " + std::to_string(compressed_bytes_.load()) + "\n";
  family(out, "idabus_backup_request_units_total", "counter", "Request units the backups consumed.");
  out += "idabus_backup_request_units_total " + fixed3(static_cast<double>(request_charge_milli_.load()) / 1000) + "\n";
  family(out, "idabus_backup_throttled_requests_total", "counter", "Backup requests answered 429.");
  out += "idabus_backup_throttled_requests_total " + std::to_string(throttled_.load()) + "\n";
  family(out, "idabus_backup_phase_seconds_total", "counter", "Time spent in each backup phase.");
  static constexpr const char* phases[] = {"Basis", "InMaintenanceMode", "InMaintenanceAndReadonlyMode", "Finalizing"};
  for (std::size_t i = 0; i < 4; ++i) {
    out += std::string("idabus_backup_phase_seconds_total{phase=\"") + phases[i] + "\"} " +
           fixed3(static_cast<double>(phase_milliseconds_[i].load()) / 1000) + "\n";
  }
  family(out, "idabus_backups_total", "counter", "Backups by outcome.");
  static constexpr const char* outcomes[] = {"completed", "canceled", "failed"};
  for (std::size_t i = 0; i < 3; ++i) {
    out += std::string("idabus_backups_total{outcome=\"") + outcomes[i] + "\"} " + std::to_string(backups_[i].load()) + "\n";
  }
  family(out, "idabus_http_responses_total", "counter", "HTTP responses by status class.");
  for (std::size_t i = 1; i < requests_by_class_.size(); ++i) {
    out += "idabus_http_responses_total{class=\"" + std::to_string(i) + "xx\"} " +
           std::to_string(requests_by_class_[i].load()) + "\n";
  }
  return out;
}

}  // namespace idabus::engine
