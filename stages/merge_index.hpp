#pragma once
// merge_index: which version of each document a restore keeps (DESIGN §8, issue 10 item 2). Pure
// data structure, no I/O; the restore merge (restore_merge.hpp) feeds it and asks it.
//
// The chain is sets 0 (the full backup) .. k-1 (incrementals) in order. The index holds the keys
// (partition key value + id, merge_key) of everything the chain has *except the full set's basis
// chunks*: the full set's delta versions and tombstones (deletes made while its basis ran) and
// every version and tombstone of the incrementals. So its size is bounded by those keys, never by
// the full backup. Per key:
// - a later set beats an earlier one entirely (a version or tombstone of set j overrides all of
//   set i < j);
// - within one set a delta version beats everything in the set;
// - a tombstone against a basis version of the same set: the version wins iff its `_ts` is after
//   the delete's second, or in the same second while `_ts < deltaSince` of that set (both then
//   happened before the basis read, which still saw the document, so it was re-created after the
//   delete); otherwise the tombstone wins (a basis version with `_ts >= deltaSince` that had
//   survived to the consistency point would have been re-read by the delta pass).
// - among versions of one kind in one set the highest `_ts` wins, a tie goes to the later one in
//   chunk order; among tombstones the latest delete counts.
// A full-set basis document whose key is absent from the index is kept as is; one whose key is
// there is superseded (by a delta version of the full set or anything of a later set), except
// that against a tombstone of the full set alone the same-set rule above decides with its `_ts`.
// Observations may come in any order across sets (a set's state is replaced only by a later set).
// Not thread-safe while observing; after resolve() lookups are read-only and may run concurrently.

#include "io/json/document.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace idabus::stages {

/// The identity of a document: its partition key value (typed; absent and object/array values
/// are Cosmos' "undefined") and its id, as one unambiguous byte string.
std::string merge_key(const std::optional<io::json::scalar>& partition_key, std::string_view id);

/// Where a document version lies in the chain: set (0 = full), chunk index in that set's
/// collection manifest, line in the chunk (0-based).
struct version_location {
  std::uint32_t set = 0;
  std::uint32_t chunk = 0;
  std::uint32_t line = 0;
  bool operator==(const version_location&) const = default;
};

enum class merge_outcome {
  kept,        ///< the winner is this version
  superseded,  ///< a newer version or a tombstone wins
};

class merge_index {
 public:
  /// `delta_since_seconds[j]`: set j's deltaSince as Cosmos `_ts` seconds (std::nullopt for a
  /// manifest without it: a same-second tie then goes to the tombstone).
  explicit merge_index(std::vector<std::optional<std::int64_t>> delta_since_seconds);

  /// A document version of a basis (`delta` false) or delta chunk. The full set's basis chunks are
  /// never observed (they are streamed past the index).
  void observe_version(std::string key, version_location where, bool delta, std::int64_t ts);
  /// A tombstone of set `set`: `deleted_ms` = the delete's event time in ms since the epoch.
  void observe_tombstone(std::string key, std::uint32_t set, std::int64_t deleted_ms);

  /// Decides every key (call once, after the last observation).
  void resolve();

  /// After resolve(): the outcome for a version observed at `where` (the winner is kept, every
  /// other version superseded).
  merge_outcome decide(std::string_view key, version_location where) const;
  /// After resolve(): the outcome for a full-set basis version with `_ts` `ts` (see the file
  /// comment). Marks the key as having had a version, for deletes_applied().
  merge_outcome decide_full_basis(std::string_view key, std::int64_t ts);

  /// After resolve(): keys whose winner is a tombstone and that had at least one version somewhere
  /// in the chain (observed, or in the full set's basis as seen by decide_full_basis).
  std::uint64_t deletes_applied() const;
  /// After resolve(): keys whose winner is a version (from the index, not the full set's basis).
  std::uint64_t kept_versions() const;
  std::size_t size() const noexcept { return entries_.size(); }

 private:
  struct version_ref {
    std::int64_t ts = 0;
    version_location where;
  };
  struct entry {
    std::uint32_t set = 0;  ///< the latest set that mentions the key; the fields below are its
    std::optional<version_ref> delta;
    std::optional<version_ref> basis;
    std::optional<std::int64_t> deleted_ms;
    bool any_version = false;  ///< a version was seen in some set of the chain
    std::optional<version_location> winner;  ///< after resolve(); none = deleted
    bool full_basis_won = false;  ///< a full-set basis version beat the full set's tombstone
  };
  entry& at_set(std::string key, std::uint32_t set, bool& older);
  static void keep_newer(std::optional<version_ref>& slot, version_ref candidate);
  /// The same-set rule: does a basis version with `ts` beat a tombstone of set `set`?
  bool basis_beats_tombstone(std::int64_t ts, std::int64_t deleted_ms, std::uint32_t set) const;

  // Transparent: lookups by string_view need no temporary string.
  struct key_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const noexcept { return std::hash<std::string_view>{}(key); }
  };

  std::vector<std::optional<std::int64_t>> delta_since_;
  std::unordered_map<std::string, entry, key_hash, std::equal_to<>> entries_;
  bool resolved_ = false;
};

}  // namespace idabus::stages
