#pragma once
// completion_watermark: how far a numbered stream of work is done when its items complete in any
// order. Items are numbered 0, 1, 2, ... in the order they entered the job; watermark() is the
// length of the longest prefix whose items have all completed, so a job restarted from it skips
// only finished work (a checkpoint of completed prefixes).
// Memory: one entry per item completed above the watermark (bounded by the items in flight).
// Pure computation, not thread-safe (use it from one executor).

#include <cstddef>
#include <cstdint>
#include <set>

namespace idabus::pipeline {

class completion_watermark {
 public:
  /// Items below `first` count as completed (a resumed job starts there).
  explicit completion_watermark(std::uint64_t first = 0) : watermark_(first) {}

  /// Marks item `number` completed. Throws std::invalid_argument when it already was (it is
  /// below the watermark or was reported before): a double report means the caller lost track.
  void complete(std::uint64_t number);

  /// Every item below it has completed; item watermark() has not.
  std::uint64_t watermark() const noexcept { return watermark_; }
  /// Items completed above the watermark (waiting for an earlier one).
  std::size_t waiting() const noexcept { return above_.size(); }

 private:
  std::uint64_t watermark_;
  std::set<std::uint64_t> above_;
};

}  // namespace idabus::pipeline
