#include "stages/ru_budget_gate.hpp"

#include "pipeline/throughput_bound.hpp"

#include <algorithm>
#include <utility>

namespace idabus::stages {

namespace {

std::string range_key(const std::string& collection, const std::string& range_id) { return collection + "#" + range_id; }

}  // namespace

std::string ru_budget_gate::budget_key(const io::cosmos::gate_key& key) {
  if (single_key_) return {};
  std::lock_guard lock(mutex_);
  auto& state = collections_[key.collection];
  const bool current = state.ranges.empty() ||
                       std::find(state.ranges.begin(), state.ranges.end(), key.range_id) != state.ranges.end();
  if (!key.range_id.empty() && current) return range_key(key.collection, key.range_id);
  // No single range, or a range gone in a split (a retry still addressed to it): the
  // collection's unranged key, so that no key of a range that went away is created again.
  if (!state.unranged_key_ready) {
    budget_.set_rate(range_key(key.collection, ""), 0);  // unlimited: the cap alone paces it
    state.unranged_key_ready = true;
  }
  return range_key(key.collection, "");
}

void ru_budget_gate::split_locked(const std::string& collection, collection_state& state) {
  if (single_key_ || state.provisioned <= 0 || state.ranges.empty()) return;
  const double share = state.provisioned / static_cast<double>(state.ranges.size());
  for (const auto& id : state.ranges) budget_.set_rate(range_key(collection, id), share);
  divide_cap_locked();
}

void ru_budget_gate::divide_cap_locked() {
  const double cap = budget_.options().cap_ru_per_second;
  if (single_key_ || cap <= 0) return;
  std::vector<pipeline::key_load> loads;
  std::vector<std::string> keys;
  double reserved = 0;  // shares of the ranges that never reported: they run at their share
  for (const auto& [collection, state] : collections_) {
    if (state.provisioned <= 0 || state.ranges.empty()) continue;
    const double share = state.provisioned / static_cast<double>(state.ranges.size());
    for (const auto& id : state.ranges) {
      const auto it = state.work_left.find(id);
      if (it == state.work_left.end()) {
        reserved += share;
        continue;
      }
      loads.push_back({it->second, share});
      keys.push_back(range_key(collection, id));
    }
  }
  if (keys.empty()) return;
  const double left = cap - reserved;
  const auto rates = left > 0 ? pipeline::allocate_rates(loads, left) : std::vector<double>(loads.size(), 0.0);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const double floor = loads[i].share_ru_per_second * min_share_fraction;
    budget_.set_rate(keys[i], std::min(loads[i].share_ru_per_second, std::max(rates[i], floor)));
  }
}

void ru_budget_gate::work_left(io::cosmos::gate_key key, double ru) {
  if (single_key_ || key.range_id.empty()) return;
  std::lock_guard lock(mutex_);
  auto& state = collections_[key.collection];
  if (std::find(state.ranges.begin(), state.ranges.end(), key.range_id) == state.ranges.end()) return;
  state.work_left[key.range_id] = std::max(ru, 0.0);
  divide_cap_locked();
}

void ru_budget_gate::set_provisioned(std::string collection, double ru_per_second) {
  std::lock_guard lock(mutex_);
  auto& state = collections_[collection];
  state.provisioned = ru_per_second;
  split_locked(collection, state);
}

void ru_budget_gate::ranges_changed(std::string collection, std::vector<std::string> range_ids) {
  std::lock_guard lock(mutex_);
  auto& state = collections_[collection];
  for (const auto& old : state.ranges) {
    if (std::find(range_ids.begin(), range_ids.end(), old) == range_ids.end() && !single_key_) {
      budget_.remove_key(range_key(collection, old));
    }
  }
  state.ranges = std::move(range_ids);
  std::erase_if(state.work_left, [&](const auto& entry) {
    return std::find(state.ranges.begin(), state.ranges.end(), entry.first) == state.ranges.end();
  });
  split_locked(collection, state);
}

boost::asio::awaitable<void> ru_budget_gate::acquire(io::cosmos::gate_key key, double estimate) {
  auto budget_key_text = budget_key(key);
  const auto start = std::chrono::steady_clock::now();
  co_await budget_.reserve(std::move(budget_key_text), estimate);
  const std::chrono::duration<double> waited = std::chrono::steady_clock::now() - start;
  std::lock_guard lock(mutex_);
  collections_[key.collection].waited[key.range_id] += waited.count();
}

double ru_budget_gate::waited_seconds(const std::string& collection, const std::string& range_id) {
  std::lock_guard lock(mutex_);
  const auto it = collections_.find(collection);
  if (it == collections_.end()) return 0;
  const auto w = it->second.waited.find(range_id);
  return w == it->second.waited.end() ? 0 : w->second;
}

void ru_budget_gate::settle(io::cosmos::gate_key key, double estimate, double actual) {
  pipeline::keyed_ru_budget::reservation granted{budget_key(key), estimate};
  budget_.settle(std::move(granted), actual);
}

void ru_budget_gate::throttled(io::cosmos::gate_key key, std::chrono::milliseconds retry_after) {
  // The range's own key, also for a range gone in a split: the budget then only counts the 429
  // (pausing the unranged key would hold back metadata requests such as the /pkranges re-read).
  budget_.on_throttled(single_key_ ? std::string() : range_key(key.collection, key.range_id), retry_after);
  std::lock_guard lock(mutex_);
  ++collections_[key.collection].throttled;
}

std::uint64_t ru_budget_gate::throttled_count(const std::string& collection) {
  std::lock_guard lock(mutex_);
  const auto it = collections_.find(collection);
  return it == collections_.end() ? 0 : it->second.throttled;
}

}  // namespace idabus::stages
