#include "stages/ru_budget_gate.hpp"

#include <algorithm>
#include <utility>

namespace idabus::stages {

namespace {

std::string range_key(const std::string& collection, const std::string& range_id) { return collection + "#" + range_id; }

}  // namespace

std::string ru_budget_gate::budget_key(const io::cosmos::gate_key& key) {
  if (single_key_) return {};
  if (key.range_id.empty()) {
    std::lock_guard lock(mutex_);
    auto& state = collections_[key.collection];
    if (!state.unranged_key_ready) {
      budget_.set_rate(range_key(key.collection, ""), 0);  // unlimited: the cap alone paces it
      state.unranged_key_ready = true;
    }
  }
  return range_key(key.collection, key.range_id);
}

void ru_budget_gate::split_locked(const std::string& collection, collection_state& state) {
  if (single_key_ || state.provisioned <= 0 || state.ranges.empty()) return;
  const double share = state.provisioned / static_cast<double>(state.ranges.size());
  for (const auto& id : state.ranges) budget_.set_rate(range_key(collection, id), share);
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
  split_locked(collection, state);
}

boost::asio::awaitable<void> ru_budget_gate::acquire(io::cosmos::gate_key key, double estimate) {
  auto budget_key_text = budget_key(key);
  co_await budget_.reserve(std::move(budget_key_text), estimate);
}

void ru_budget_gate::settle(io::cosmos::gate_key key, double estimate, double actual) {
  pipeline::keyed_ru_budget::reservation granted{budget_key(key), estimate};
  budget_.settle(std::move(granted), actual);
}

void ru_budget_gate::throttled(io::cosmos::gate_key key, std::chrono::milliseconds retry_after) {
  budget_.on_throttled(budget_key(key), retry_after);
}

}  // namespace idabus::stages
