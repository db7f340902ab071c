#pragma once
// export_raw_report: the lines -exportRaw prints (pure functions, no I/O).
//   budget      "budget 10000 RU/s: offer 10000 RU/s over 4 ranges (2500 each)[, capped at N by --ru-budget]"
//   progress    "importTool: 12000/50000 documents (24.0 %), 36.1 MB, 9850 RU/s of 10000, 3 throttled (429), ETA 38 s"
//   summary     "importTool: imported 50000 of 50000 documents (152.3 MB) into idabus/Resources in 61.2 s:
//                817 docs/s, 9910 RU/s (99.1 % of the 10000 RU/s budget), 12 of 51234 operations throttled (429), 0 rejected,
//                1043 bulk requests" (or "51234 point requests" in point mode: one upsert per document, re-sends included)
//   dry run     documents, bytes, rejects, estimated RU, RU per range, the hot-range bound, time at the budget;
//               in point mode also the number of upsert requests (one per document)

#include "stages/restore_import.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace idabus::import_tool {

struct export_raw_budget {
  std::optional<int> provisioned;  ///< the collection's offer
  std::size_t ranges = 0;
  std::optional<double> cap;       ///< --ru-budget
  /// What the import may use in RU/s: the offer, lowered by the cap; 0 when neither is known.
  double effective() const noexcept;
  std::string describe() const;
};

struct export_raw_figures {
  std::uint64_t done = 0;       ///< documents with their final result (this run and resumed ones)
  std::uint64_t total = 0;      ///< documents of the input
  std::uint64_t written = 0;    ///< written this run
  std::uint64_t rejected = 0;   ///< rejected (this run and resumed ones)
  std::uint64_t bytes = 0;      ///< bytes written this run
  double ru = 0;                ///< RU charged this run
  double ru_per_second = 0;     ///< over the last interval (progress) or the run (summary)
  std::uint64_t throttled = 0;  ///< operations answered 429
  std::uint64_t operations = 0; ///< operations sent
  std::uint64_t requests = 0;   ///< HTTP write requests sent (bulk requests, or point upserts)
  stages::write_mode mode = stages::write_mode::bulk;
  double seconds = 0;           ///< since the writes started
  std::uint64_t done_at_start = 0;  ///< documents done before this run (resume)
};

/// "38 s", "12 min 05 s", "2 h 03 min".
std::string format_duration(double seconds);
std::string progress_line(const export_raw_figures& f, const export_raw_budget& budget);
std::string summary_line(const export_raw_figures& f, const export_raw_budget& budget, const std::string& target);
std::string dry_run_report(const stages::import_estimate& e, const export_raw_budget& budget,
                           const std::vector<std::string>& range_ids, std::size_t files,
                           stages::write_mode mode = stages::write_mode::bulk);

}  // namespace idabus::import_tool
