#pragma once
// import_tracker: the bookkeeping of one restore import (DESIGN §8), shared by its stages on one
// executor (not thread-safe).
// - The input is the documents of the restore files in order, numbered 0, 1, ... across files
//   (a document's ticket); files[i].documents is how many documents file i holds.
// - sent(ticket, bytes) when a document goes to the writer; written(ticket) / rejected(...) when
//   it has its final result. A document refused before it was sent (no id, no partition key
//   value) is rejected() without being sent.
// - completed() is the length of the longest prefix of the input whose documents all have their
//   final result (pipeline::completion_watermark): a rerun that skips it re-sends nothing that
//   was done and misses nothing (a checkpoint of completed prefixes). A resumed import starts the
//   tracker at its checkpoint.
// - Rejections wait in the tracker until take_settled_rejections() hands over those below
//   completed(), so a reject file written with a checkpoint holds exactly the rejections of the
//   checkpointed prefix (a rerun re-rejects the others; none is written twice).
// Throws std::invalid_argument for a ticket outside the input or reported twice.

#include "io/files/import_checkpoint.hpp"
#include "pipeline/completion_watermark.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <unordered_map>
#include <vector>

namespace idabus::stages {

struct import_counts {
  std::uint64_t sent = 0;           ///< documents handed to the writer
  std::uint64_t written = 0;        ///< documents written (this run)
  std::uint64_t rejected = 0;       ///< documents rejected (this run)
  std::uint64_t bytes_written = 0;  ///< raw bytes of the documents written (this run)
};

class import_tracker {
 public:
  /// `completed`: documents of the input already done (a resumed import's checkpoint).
  explicit import_tracker(std::vector<io::files::import_input_file> files, std::uint64_t completed = 0);

  void sent(std::uint64_t ticket, std::uint64_t bytes);
  void written(std::uint64_t ticket);
  /// The reject's file and index are filled in here from the ticket.
  void rejected(std::uint64_t ticket, io::files::import_reject reject);

  std::uint64_t total_documents() const noexcept { return total_; }
  std::uint64_t completed() const noexcept { return watermark_.watermark(); }
  const import_counts& counts() const noexcept { return counts_; }

  /// The restore file and position of a ticket.
  struct location {
    std::size_t file = 0;
    std::uint64_t index = 0;
  };
  location locate(std::uint64_t ticket) const;
  /// First ticket of each file.
  const std::vector<std::uint64_t>& file_starts() const noexcept { return starts_; }
  const std::vector<io::files::import_input_file>& files() const noexcept { return files_; }

  /// The rejections of documents below completed() not taken before, in ticket order.
  std::vector<io::files::import_reject> take_settled_rejections();

 private:
  void check(std::uint64_t ticket) const;

  std::vector<io::files::import_input_file> files_;
  std::vector<std::uint64_t> starts_;
  std::uint64_t total_ = 0;
  pipeline::completion_watermark watermark_;
  import_counts counts_;
  std::unordered_map<std::uint64_t, std::uint64_t> in_flight_bytes_;
  std::map<std::uint64_t, io::files::import_reject> rejections_;
};

}  // namespace idabus::stages
