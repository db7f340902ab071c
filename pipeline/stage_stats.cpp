#include "pipeline/stage_stats.hpp"

#include <cstdio>
#include <stdexcept>

namespace idabus::pipeline {

namespace {

double seconds(std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); }

bool valid_metric_prefix(std::string_view p) {
  if (p.empty()) return false;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    const bool digit = c >= '0' && c <= '9';
    if (!(alpha || (i > 0 && digit))) return false;
  }
  return true;
}

// Label values escape backslash, double quote and newline (Prometheus text format).
std::string label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string format_double(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

}  // namespace

stage_snapshot stage_counters::snapshot() const {
  stage_snapshot s;
  s.name = name_;
  s.items = items_.load(std::memory_order_relaxed);
  s.bytes = bytes_.load(std::memory_order_relaxed);
  s.blocked_receive = std::chrono::nanoseconds(blocked_receive_ns_.load(std::memory_order_relaxed));
  s.blocked_send = std::chrono::nanoseconds(blocked_send_ns_.load(std::memory_order_relaxed));
  return s;
}

stage_counters& stage_stats::add(std::string name) {
  std::lock_guard lock(mutex_);
  return stages_.emplace_back(std::move(name));
}

stats_snapshot stage_stats::snapshot() const {
  std::lock_guard lock(mutex_);
  stats_snapshot s;
  s.stages.reserve(stages_.size());
  for (const auto& stage : stages_) s.stages.push_back(stage.snapshot());
  return s;
}

std::string stats_snapshot::to_string() const {
  std::string out;
  for (const auto& s : stages) {
    char line[256];
    std::snprintf(line, sizeof line, " items=%llu bytes=%llu blocked_receive=%.3fs blocked_send=%.3fs\n",
                  static_cast<unsigned long long>(s.items), static_cast<unsigned long long>(s.bytes),
                  seconds(s.blocked_receive), seconds(s.blocked_send));
    out += s.name;
    out += line;
  }
  return out;
}

std::string stats_snapshot::to_prometheus(std::string_view prefix) const {
  if (!valid_metric_prefix(prefix)) {
    throw std::invalid_argument("stage_stats: metric prefix '" + std::string(prefix) +
                                "' is not a valid Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)");
  }
  const std::string p(prefix);
  std::string out;
  out += "# HELP " + p + "_stage_items_total Items produced by a pipeline stage.\n";
  out += "# TYPE " + p + "_stage_items_total counter\n";
  for (const auto& s : stages)
    out += p + "_stage_items_total{stage=\"" + label_value(s.name) + "\"} " + std::to_string(s.items) + "\n";
  out += "# HELP " + p + "_stage_bytes_total Bytes produced by a pipeline stage.\n";
  out += "# TYPE " + p + "_stage_bytes_total counter\n";
  for (const auto& s : stages)
    out += p + "_stage_bytes_total{stage=\"" + label_value(s.name) + "\"} " + std::to_string(s.bytes) + "\n";
  out += "# HELP " + p + "_stage_blocked_seconds_total Time a stage waited on its input (receive) or output (send).\n";
  out += "# TYPE " + p + "_stage_blocked_seconds_total counter\n";
  for (const auto& s : stages) {
    const std::string label = "{stage=\"" + label_value(s.name) + "\",on=";
    out += p + "_stage_blocked_seconds_total" + label + "\"receive\"} " + format_double(seconds(s.blocked_receive)) + "\n";
    out += p + "_stage_blocked_seconds_total" + label + "\"send\"} " + format_double(seconds(s.blocked_send)) + "\n";
  }
  return out;
}

}  // namespace idabus::pipeline
