#pragma once
// ru_budget_gate: lets the Cosmos client (io/cosmos, which knows nothing of pipeline/) spend the
// job's RU budgets, one per physical partition key range under the job-wide cap (DESIGN §9).
// Thread-safe; one gate may serve several clients.
// - Budget keys: "<collection>#<range id>" for a request to one range; "<collection>#" (rate 0:
//   unlimited, so only the cap paces it) for a request not bound to one range (metadata, point
//   operations, cross-partition queries) and for a request still addressed to a range that
//   ranges_changed() no longer lists (a retry racing a split). A 429 for such a range is counted
//   by the budget and pauses nothing; no key of a removed range is ever created again.
// - set_provisioned(collection, ru_per_second) and ranges_changed(collection, ranges) together
//   set every range key of the collection to provisioned ÷ ranges, again whenever either changes
//   (a split reports new ranges); keys of ranges that went away are removed. Until both are known,
//   range keys run at the budget's per_key default rate.
// - acquire(key, estimate) awaits keyed_ru_budget::reserve (cancellable like it: throws
//   operation_aborted and reserves nothing); settle(key, estimate, actual) settles that
//   reservation with the server's charge; throttled(key, retry_after) pauses and lowers only
//   that key (AIMD) and counts it for its collection: throttled_count(collection) (metrics).
// - Dividing the cap (DESIGN §9), only when the job has a cap: the ranges whose share is known
//   and that reported work_left() divide the cap by pipeline::allocate_rates over the RU each
//   still needs, again at every report, split or offer change: the range with the most work keeps
//   its share and the others split what is left in proportion to their work, so that they finish
//   together instead of each taking an equal part of the cap. A range that never reported (not
//   counted yet, or a child of a split) runs at its share, taken from the cap first. A range that
//   needs nothing more, or gets nothing of the cap, runs at min_share_fraction of its share (a
//   rate of 0 would mean unlimited). Without work_left() reports, nothing changes.
// - The single-budget constructor (one pipeline::ru_budget for everything, as tenant-gen still
//   uses it) charges every request to that budget and ignores ranges and provisioned rates.
// Borrowed budget: it must outlive the gate.

#include "io/cosmos/request_gate.hpp"
#include "pipeline/keyed_ru_budget.hpp"
#include "pipeline/ru_budget.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace idabus::stages {

class ru_budget_gate final : public io::cosmos::request_gate {
 public:
  /// Per-range budgets on `budget` (its cap is the job-wide cap).
  explicit ru_budget_gate(pipeline::keyed_ru_budget& budget) : budget_(budget) {}
  /// Every request on one budget.
  explicit ru_budget_gate(pipeline::ru_budget& budget) : budget_(budget.keyed()), single_key_(true) {}

  /// The collection's provisioned RU/s ("dbs/<db>/colls/<coll>"), to be split over its ranges.
  void set_provisioned(std::string collection, double ru_per_second);

  boost::asio::awaitable<void> acquire(io::cosmos::gate_key key, double estimate) override;
  void settle(io::cosmos::gate_key key, double estimate, double actual) override;
  void throttled(io::cosmos::gate_key key, std::chrono::milliseconds retry_after) override;
  void ranges_changed(std::string collection, std::vector<std::string> range_ids) override;
  void work_left(io::cosmos::gate_key key, double ru) override;

  /// The rate of a range that needs nothing more, as a fraction of its share.
  static constexpr double min_share_fraction = 0.05;

  /// The 429s reported for `collection` ("dbs/<db>/colls/<coll>") so far.
  std::uint64_t throttled_count(const std::string& collection);
  /// Seconds acquire() has waited for the budget of one range of `collection` so far (summed
  /// over concurrent waits): how long the range's requests were held back by pacing.
  double waited_seconds(const std::string& collection, const std::string& range_id);

  /// The budget key of a gate key (see above).
  std::string budget_key(const io::cosmos::gate_key& key);

 private:
  struct collection_state {
    double provisioned = 0;  ///< 0: not known
    std::vector<std::string> ranges;
    std::map<std::string, double> work_left;  ///< range id -> RU it still needs (reported ranges)
    bool unranged_key_ready = false;  ///< "<collection>#" was made unlimited
    std::uint64_t throttled = 0;      ///< 429s reported
    std::map<std::string, double> waited;  ///< seconds in acquire, by range id
  };
  void split_locked(const std::string& collection, collection_state& state);
  void divide_cap_locked();

  pipeline::keyed_ru_budget& budget_;
  bool single_key_ = false;
  std::mutex mutex_;
  std::map<std::string, collection_state> collections_;
};

}  // namespace idabus::stages
