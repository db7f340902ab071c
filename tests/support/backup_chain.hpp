#pragma once
// backup_chain: writes the sets of one backup folder an hour apart, timed the way the engine
// times them, so that a restore test states only what each set holds (DESIGN §7):
// - the n-th set written (n = 1, 2, …) starts its basis at 2026-11-30T0n:00:00Z (first_basis_ts
//   is the first one's, as a _ts) and has deltaSince 2 s before that;
// - a full set completes 10 minutes after its basis started, an incremental 5 minutes after,
//   since the completion of the set written before it, and always has a tombstones list;
// - next() gives a set's spec without writing it (e.g. to drop its manifest), write() writes it.
// Every collection of a set gets the set's type, since and deltaSince.

#include "support/backup_set_builder.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace idabus::test {

/// Resources (partitioned by /objecttype) holding `chunks`, with `tombstones` when given.
inline collection_spec resources(std::vector<chunk_spec> chunks,
                                 std::optional<std::vector<io::files::tombstone>> tombstones = std::nullopt) {
  collection_spec c;
  c.chunks = std::move(chunks);
  c.tombstones = std::move(tombstones);
  return c;
}

class backup_chain {
 public:
  /// 2026-11-30T01:00:00Z: the first set's basis start.
  static constexpr std::int64_t first_basis_ts = 1796000400;

  explicit backup_chain(std::filesystem::path folder) : folder_(std::move(folder)) {}

  const std::filesystem::path& folder() const noexcept { return folder_; }

  /// Writes the next set, a full backup of `collections`; returns its directory.
  std::filesystem::path full(std::string id, std::vector<collection_spec> collections) {
    return write(next(std::move(id), io::files::backup_type::full, std::move(collections)));
  }

  /// Writes the next set, an incremental of `collections`; returns its directory.
  std::filesystem::path incremental(std::string id, std::vector<collection_spec> collections) {
    return write(next(std::move(id), io::files::backup_type::incremental, std::move(collections)));
  }

  /// The next set's spec (the chain's clock moves on to the set after it).
  set_spec next(std::string id, io::files::backup_type type, std::vector<collection_spec> collections) {
    ++sets_;
    if (sets_ > 9) throw std::logic_error("backup_chain: at most 9 sets");
    const std::string day = "2026-11-30T0" + std::to_string(sets_);
    const std::string hour_before = "2026-11-30T0" + std::to_string(sets_ - 1);
    const bool is_full = type == io::files::backup_type::full;
    set_spec s;
    s.id = std::move(id);
    s.basis_started = day + ":00:00Z";
    s.completed = day + (is_full ? ":10:00Z" : ":05:00Z");
    for (auto& c : collections) {
      c.type = type;
      c.delta_since = utc(hour_before + ":59:58Z");
      if (!is_full) {
        if (!last_completed_) throw std::logic_error("backup_chain: an incremental needs a set before it");
        c.since = utc(*last_completed_);
        if (!c.tombstones) c.tombstones.emplace();
      }
    }
    s.collections = std::move(collections);
    last_completed_ = s.completed;
    return s;
  }

  std::filesystem::path write(const set_spec& spec) { return write_backup_set(folder_, spec); }

 private:
  std::filesystem::path folder_;
  int sets_ = 0;
  std::optional<std::string> last_completed_;
};

}  // namespace idabus::test
