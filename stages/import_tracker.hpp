#pragma once
// import_tracker: the bookkeeping of one restore import (DESIGN §8), shared by its stages on one
// executor (not thread-safe; done_before() and range_index() are const and may be called from
// any thread).
// - The input is the documents of the restore files in order, numbered 0, 1, ... across files
//   (a document's ticket); files[i].documents is how many documents file i holds.
// - Each range's documents are reported in ticket order, each ticket once, the documents without
//   a partition key value (epk "") with range 0's (so that several readers, each reading the
//   files for some of the ranges, report independently): skipped() (done in an earlier run, see
//   done_before), refused() (no id or partition key value: rejected without sending) or sent();
//   passed(range, p) says every ticket of that range below p was reported. position() is the
//   smallest of the ranges' positions: every document before it was reported. The writer reports
//   written() or rejected() for every document sent.
// - The checkpoint is per effective partition key range (io/files/import_checkpoint.hpp):
//   progress() gives, for each range, the first ticket of that range not yet finished (the
//   smallest in flight, else the range's position; it may lie beyond position()). A hot range
//   finishes its prefix long after the cold ones; per-range prefixes let a rerun skip what each
//   range finished. done_before(ticket, epk) applies the checkpoint of an earlier run (`resume`):
//   ticket < the completed of the saved range holding epk (an empty epk: a refused document,
//   done when ticket < its position).
// - Rejections wait here until take_settled_rejections() hands over those a checkpoint taken now
//   covers (refused ones once position() passed them; the others once their range's progress
//   passed them), so the
//   reject file holds exactly the rejections of the checkpointed work: a rerun re-rejects the
//   others and none is written twice.
// Throws std::invalid_argument for a ticket out of order, outside the input, or reported twice,
// and for an epk no range holds.

#include "io/files/import_checkpoint.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace idabus::stages {

/// An effective partition key range [min, max).
struct epk_range {
  std::string min;
  std::string max;
};

struct import_counts {
  std::uint64_t skipped = 0;        ///< done in an earlier run
  std::uint64_t sent = 0;           ///< documents handed to the writer
  std::uint64_t written = 0;        ///< documents written (this run)
  std::uint64_t rejected = 0;       ///< documents rejected (this run, refused ones included)
  std::uint64_t bytes_written = 0;  ///< raw bytes of the documents written (this run)
  std::uint64_t done() const noexcept { return skipped + written + rejected; }
};

class import_tracker {
 public:
  /// `ranges` in EPK order, covering every key (empty: one range for everything). `resume`: the
  /// checkpoint of an earlier run over the same files (null: a fresh start); not kept.
  import_tracker(std::vector<io::files::import_input_file> files, std::vector<epk_range> ranges,
                 const io::files::import_checkpoint* resume = nullptr);

  bool done_before(std::uint64_t ticket, std::string_view epk) const;
  /// The first ticket not done before in any range: files entirely below it need not be read.
  std::uint64_t resume_floor() const noexcept { return floor_; }

  /// The range a document is reported with: the one holding `epk`, 0 for an empty epk.
  std::size_t range_index(std::string_view epk) const { return epk.empty() ? 0 : range_of(epk); }
  std::size_t range_count() const noexcept { return ranges_.size(); }

  void skipped(std::uint64_t ticket, std::string_view epk);
  /// [first, end) was skipped without reading it (files below resume_floor): counts them once,
  /// as range 0's; every other range still needs passed(range, end).
  void skipped_unread(std::uint64_t first, std::uint64_t end);
  void refused(std::uint64_t ticket, io::files::import_reject reject);
  void sent(std::uint64_t ticket, std::string_view epk, std::uint64_t bytes);
  void passed(std::size_t range, std::uint64_t position);
  void written(std::uint64_t ticket);
  void rejected(std::uint64_t ticket, io::files::import_reject reject);

  std::uint64_t total_documents() const noexcept { return total_; }
  std::uint64_t position() const noexcept { return position_; }
  const import_counts& counts() const noexcept { return counts_; }
  std::vector<io::files::import_range_progress> progress() const;

  /// The restore file and position of a ticket.
  struct location {
    std::size_t file = 0;
    std::uint64_t index = 0;
  };
  location locate(std::uint64_t ticket) const;
  const std::vector<std::uint64_t>& file_starts() const noexcept { return starts_; }
  const std::vector<io::files::import_input_file>& files() const noexcept { return files_; }

  /// The rejections a checkpoint taken now covers, not handed over before, in ticket order.
  std::vector<io::files::import_reject> take_settled_rejections();

 private:
  static constexpr std::size_t no_range = static_cast<std::size_t>(-1);
  void next(std::size_t range, std::uint64_t ticket);
  std::size_t range_of(std::string_view epk) const;
  std::uint64_t range_progress(std::size_t range) const;
  void finish(std::uint64_t ticket, bool written, io::files::import_reject* reject);

  std::vector<io::files::import_input_file> files_;
  std::vector<std::uint64_t> starts_;
  std::uint64_t total_ = 0;
  std::vector<epk_range> ranges_;
  std::vector<std::set<std::uint64_t>> in_flight_;  ///< per range
  struct flight {
    std::size_t range = 0;
    std::uint64_t bytes = 0;
  };
  std::unordered_map<std::uint64_t, flight> flights_;
  std::vector<std::uint64_t> positions_;  ///< per range: every ticket of the range below it reported
  std::uint64_t position_ = 0;            ///< the smallest of positions_
  import_counts counts_;
  struct pending_reject {
    std::size_t range = no_range;  ///< no_range: refused before sending
    io::files::import_reject reject;
  };
  std::map<std::uint64_t, pending_reject> rejections_;
  // The earlier run's checkpoint.
  std::uint64_t resume_position_ = 0;
  std::vector<io::files::import_range_progress> resume_ranges_;
  std::uint64_t floor_ = 0;
};

}  // namespace idabus::stages
