#include "tools/importTool/export_raw_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace idabus::import_tool {

namespace {

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string megabytes(std::uint64_t bytes) { return fixed(static_cast<double>(bytes) / 1e6, 1) + " MB"; }

std::string budget_suffix(const export_raw_budget& b) {
  const double e = b.effective();
  return e > 0 ? " of " + fixed(e, 0) : "";
}

}  // namespace

double export_raw_budget::effective() const noexcept {
  double e = provisioned ? static_cast<double>(*provisioned) : 0;
  if (cap && (e == 0 || *cap < e)) e = *cap;
  return e;
}

std::string export_raw_budget::describe() const {
  std::string out = "budget ";
  if (provisioned) {
    out += fixed(effective(), 0) + " RU/s: offer " + std::to_string(*provisioned) + " RU/s over " + std::to_string(ranges) +
           " range" + (ranges == 1 ? "" : "s");
    if (ranges > 0) out += " (" + fixed(static_cast<double>(*provisioned) / static_cast<double>(ranges), 0) + " each)";
    if (cap && *cap < *provisioned) out += ", capped at " + fixed(*cap, 0) + " RU/s by --ru-budget";
  } else if (cap) {
    out += fixed(*cap, 0) + " RU/s (--ru-budget; the collection has no offer of its own: the service's 429s pace each range)";
  } else {
    out += "unknown: the collection has no offer of its own; the service's 429s pace each range";
  }
  return out;
}

std::string format_duration(double seconds) {
  const auto s = static_cast<long long>(std::llround(std::max(0.0, seconds)));
  char buf[64];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%lld s", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%lld min %02lld s", s / 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%lld h %02lld min", s / 3600, (s % 3600) / 60);
  }
  return buf;
}

std::string progress_line(const export_raw_figures& f, const export_raw_budget& budget) {
  std::string line = "importTool: " + std::to_string(f.done) + "/" + std::to_string(f.total) + " documents (" +
                     fixed(f.total ? 100.0 * static_cast<double>(f.done) / static_cast<double>(f.total) : 100.0, 1) +
                     " %), " + megabytes(f.bytes) + ", " + fixed(f.ru_per_second, 0) + " RU/s" + budget_suffix(budget) +
                     ", " + std::to_string(f.throttled) + " throttled (429)";
  if (f.rejected) line += ", " + std::to_string(f.rejected) + " rejected";
  const std::uint64_t done_now = f.done - std::min(f.done, f.done_at_start);
  if (done_now > 0 && f.seconds > 0) {
    const double rate = static_cast<double>(done_now) / f.seconds;
    line += ", ETA " + format_duration(static_cast<double>(f.total - std::min(f.total, f.done)) / rate);
  }
  return line;
}

std::string summary_line(const export_raw_figures& f, const export_raw_budget& budget, const std::string& target) {
  const double secs = std::max(f.seconds, 1e-9);
  std::string line = "importTool: imported " + std::to_string(f.done - std::min(f.done, f.rejected)) + " of " +
                     std::to_string(f.total) + " documents";
  if (f.done_at_start) line += " (" + std::to_string(f.done_at_start) + " done before, resumed)";
  line += " into " + target + ", " + megabytes(f.bytes) + " in " + fixed(f.seconds, 1) + " s: " +
          fixed(static_cast<double>(f.written) / secs, 0) + " docs/s, " + fixed(f.ru / secs, 0) + " RU/s";
  if (budget.effective() > 0) {
    line += " (" + fixed(100.0 * f.ru / secs / budget.effective(), 1) + " % of the " + fixed(budget.effective(), 0) +
            " RU/s budget)";
  }
  line += ", " + std::to_string(f.throttled) + " of " + std::to_string(f.operations) + " operations throttled (429), " +
          std::to_string(f.rejected) + " rejected, " + std::to_string(f.requests) +
          (f.mode == stages::write_mode::point ? " point requests" : " bulk requests");
  return line;
}

std::string dry_run_report(const stages::import_estimate& e, const export_raw_budget& budget,
                           const std::vector<std::string>& range_ids, std::size_t files, stages::write_mode mode) {
  std::string out = "importTool: dry run, nothing written: " + std::to_string(e.documents) + " documents, " +
                    megabytes(e.bytes) + " in " + std::to_string(files) + " file" + (files == 1 ? "" : "s");
  if (e.rejected) out += "; " + std::to_string(e.rejected) + " without an id or a partition key value (would be rejected)";
  out += "\nimportTool: estimated " + fixed(e.bound.total_ru, 0) + " RU";
  if (e.documents) out += " (" + fixed(e.bound.total_ru / static_cast<double>(e.documents), 2) + " per document)";
  if (mode == stages::write_mode::point) {
    out += " in " + std::to_string(e.documents - e.rejected) + " point requests (one upsert per document)";
  }
  out += "\nimportTool: " + budget.describe();
  if (!range_ids.empty()) {
    out += "\nimportTool: RU per range:";
    for (std::size_t i = 0; i < range_ids.size() && i < e.range_ru.size(); ++i) {
      out += " " + range_ids[i] + "=" +
             fixed(e.bound.total_ru > 0 ? 100.0 * e.range_ru[i] / e.bound.total_ru : 0.0, 1) + " %";
    }
  }
  out += "\nimportTool: bound: ";
  if (e.bound.min_seconds > 0) {
    const std::string limiter = e.bound.limiting == pipeline::throughput_bound::cap_limited
                                    ? "the --ru-budget cap"
                                    : (e.bound.limiting < range_ids.size() ? "range " + range_ids[e.bound.limiting]
                                                                           : "the one range");
    out += fixed(e.bound.achievable_ru_per_second, 0) + " RU/s (set by " + limiter + "); estimated time " +
           format_duration(e.bound.min_seconds);
  } else {
    out += "none known (no offer and no --ru-budget): the service's throttling sets the pace";
  }
  return out + "\n";
}

}  // namespace idabus::import_tool
